"""Opaque cursors."""

from datetime import UTC, datetime

import pytest

from kommune_ikt.errors import ValidationFailed
from kommune_ikt.pagination import decode_cursor, encode_cursor


def test_cursor_round_trips():
    values = [datetime(2026, 3, 1, 8, 30, tzinfo=UTC), 42]
    assert decode_cursor(encode_cursor(values), [datetime, int]) == values


@pytest.mark.parametrize("cursor", ["garbage", "W10", encode_cursor(["x", 1]), encode_cursor([1])])
def test_foreign_cursor_is_a_validation_error_on_the_cursor_field(cursor):
    with pytest.raises(ValidationFailed) as info:
        decode_cursor(cursor, [datetime, int])
    assert info.value.errors == {"cursor": ["Not a cursor this list handed out."]}
