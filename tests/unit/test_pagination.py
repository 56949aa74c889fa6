"""Opaque cursors."""

from datetime import UTC, datetime

import pytest

from kommune_ikt.core.errors import ValidationFailed
from kommune_ikt.core.pagination import BadCursor, decode_cursor, encode_cursor


def test_cursor_round_trips():
    values = [datetime(2026, 3, 1, 8, 30, tzinfo=UTC), 42]
    assert decode_cursor(encode_cursor(values), [datetime, int]) == values


# Cursors are made inside the test: the signing key is per process, so a cursor in a
# test's id would differ between pytest-xdist's workers and stop the run.
@pytest.mark.parametrize(
    "make",
    [lambda: "garbage", lambda: "W10", lambda: encode_cursor(["x", 1]), lambda: encode_cursor([1])],
    ids=["garbage", "not-signed", "wrong-kinds", "too-few-values"],
)
def test_foreign_cursor_is_a_validation_error_on_the_cursor_field(make):
    cursor = make()
    with pytest.raises(ValidationFailed) as info:
        decode_cursor(cursor, [datetime, int])
    assert info.value.errors == {"cursor": ["Not a cursor this list handed out."]}
    assert info.value.status == 400


@pytest.mark.parametrize(
    "values",
    [
        ["2026-01-01T00:00:00+00:00", 2**64],
        ["0001-01-01T00:00:00+05:00", 1],
        ["1899-12-31T23:00:00+00:00", 1],
        ["2026-01-01T00:00:00+00:00", 1.0],
    ],
)
def test_out_of_range_cursor_values_are_refused(values):
    with pytest.raises(ValidationFailed):
        decode_cursor(encode_cursor(values), [datetime, int])


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", 5])
def test_text_cursor_values_must_be_storable_text(value):
    with pytest.raises(ValidationFailed):
        decode_cursor(encode_cursor([value]), [str])


def test_decimal_strings_refuse_what_no_column_holds():
    import marshmallow as ma

    from kommune_ikt.web.schemas import DecimalString

    for text in ["1e20", "-1e15", "1." + "1" * 40]:
        with pytest.raises(ma.ValidationError):
            DecimalString().deserialize(text)
    assert str(DecimalString().deserialize("999999999999999.99")) == "999999999999999.99"


def test_a_cursor_whose_values_were_changed_is_refused():
    payload, _, mac = encode_cursor([datetime(2026, 1, 1, tzinfo=UTC), 5]).partition(".")
    forged = encode_cursor([datetime(2026, 1, 1, tzinfo=UTC), 6]).partition(".")[0]
    with pytest.raises(BadCursor):
        decode_cursor(f"{forged}.{mac}", [datetime, int])
    with pytest.raises(BadCursor):
        decode_cursor(payload, [datetime, int])  # the signature left off


def test_keyset_pages_either_way() -> None:
    import sqlalchemy as sa

    from kommune_ikt.core.pagination import encode_cursor, keyset

    table = sa.table("t", sa.column("id", sa.Integer))
    cursor = encode_cursor([7])
    newest = str(keyset(sa.select(table), [table.c.id], limit=5, cursor=cursor, kinds=[int]))
    oldest = str(
        keyset(
            sa.select(table), [table.c.id], limit=5, cursor=cursor, kinds=[int], descending=False
        )
    )
    assert "t.id < :id_1" in newest and "ORDER BY t.id DESC" in newest
    assert "t.id > :id_1" in oldest and "ORDER BY t.id ASC" in oldest
