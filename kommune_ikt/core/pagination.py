"""Keyset pagination: opaque cursors over a descending (sort key, id) order."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from kommune_ikt.core.errors import ValidationFailed

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# What a cursor may hold: integers a database key can compare against on both
# databases (SQLite refuses anything past 64 bits), times in the years clients
# may send, text without NUL or lone surrogates (PostgreSQL cannot take them).
INT64 = 2**63 - 1
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


class BadCursor(ValidationFailed):
    """A cursor this service did not hand out (forged, truncated, from another list): 400."""

    status = 400
    title = "Bad request"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


_cursor_key: bytes | None = None


def configure_cursor_key(secret: str) -> None:
    """Sign cursors with the deployment's SECRET_KEY, so every worker and host accepts
    the others' cursors. The first app of a process sets it; a process without an app
    (a script, a unit test) signs with a key of its own."""
    global _cursor_key
    if _cursor_key is None:
        _cursor_key = hashlib.sha256(b"kommune-ikt cursor\0" + secret.encode()).digest()


def _key() -> bytes:
    global _cursor_key
    if _cursor_key is None:
        _cursor_key = secrets.token_bytes(32)
    return _cursor_key


def _mac(payload: str) -> str:
    digest = hmac.new(_key(), payload.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode()


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque, signed cursor: a client can neither read nor forge one."""
    raw = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    payload = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    return f"{payload}.{_mac(payload)}"


def decode_cursor(cursor: str, kinds: Sequence[type]) -> list[Any]:
    """The key values inside a cursor we signed, checked against the expected kinds."""
    try:
        payload, _, mac = cursor.partition(".")
        if not hmac.compare_digest(mac.encode(), _mac(payload).encode()):
            raise ValueError
        padded = payload + "=" * (-len(payload) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(kinds):
            raise ValueError
        values: list[Any] = []
        for kind, value in zip(kinds, raw, strict=True):
            if kind is datetime:
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError
                if not EARLIEST_YEAR <= parsed.astimezone(UTC).year <= LATEST_YEAR:
                    raise ValueError
                values.append(parsed)
            elif kind is int:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError
                if not -INT64 <= value <= INT64:
                    raise ValueError
                values.append(value)
            elif kind is str:
                if not isinstance(value, str) or UNSTORABLE_TEXT.search(value):
                    raise ValueError
                values.append(value)
            else:
                values.append(kind(value))
        return values
    except (
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
        binascii.Error,
        UnicodeDecodeError,
    ):
        raise BadCursor("cursor", "Not a cursor this list handed out.")


def paginate(
    session: Session,
    stmt: Select[Any],
    keys: Sequence[Any],
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    kinds: Sequence[type] | None = None,
    scalars: bool = True,
    descending: bool = True,
) -> Page[Any]:
    """Run ``stmt`` ordered by ``keys`` (newest first unless ``descending=False``), one
    page after ``cursor``.

    ``keys`` must end in a unique column (the id) so that the order is total;
    then rows inserted while a client pages never make a page repeat or skip
    what it already showed. ``kinds`` are the keys' Python types (by default
    datetimes then an int id).
    """
    result = session.execute(
        keyset(stmt, keys, limit=limit, cursor=cursor, kinds=kinds, descending=descending)
    )
    return page_of(list(result.scalars() if scalars else result.all()), keys, limit)


def keyset(
    stmt: Select[Any],
    keys: Sequence[Any],
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    kinds: Sequence[type] | None = None,
    descending: bool = True,
) -> Select[Any]:
    """``paginate``'s statement: ``stmt`` after ``cursor`` in the order of ``keys``,
    one row more than a page (so ``page_of`` can tell whether another page follows)."""
    kinds = kinds or [datetime] * (len(keys) - 1) + [int]
    if cursor:
        after = decode_cursor(cursor, kinds)
        stmt = stmt.where(_beyond(keys, after, descending))
    order = [k.desc() if descending else k.asc() for k in keys]
    return stmt.order_by(*order).limit(limit + 1)


def page_of(rows: list[Any], keys: Sequence[Any], limit: int) -> Page[Any]:
    """The page of the rows a ``keyset`` statement returned (in its order)."""
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([_key_value(rows[-1], k) for k in keys])
    return Page(items=rows, next_cursor=next_cursor)


def _beyond(keys: Sequence[Any], values: Sequence[Any], descending: bool) -> Any:
    """(k1, k2, ...) < (v1, v2, ...), or > when ascending, written portably (SQLite lacks
    row values in old builds)."""
    clauses = []
    for i, key in enumerate(keys):
        equal = [keys[j] == values[j] for j in range(i)]
        clauses.append(sa.and_(*equal, key < values[i] if descending else key > values[i]))
    return sa.or_(*clauses)


def _key_value(row: Any, key: Any) -> Any:
    name = key.key if hasattr(key, "key") else key.name
    if hasattr(row, "_mapping"):
        try:
            return row._mapping[key]
        except sa.exc.NoSuchColumnError:  # a row of table columns, keyed by an ORM attribute
            return row._mapping[name]
    return getattr(row, name)


def paginate_list(
    rows: Sequence[T],
    key: Callable[[T], tuple[Any, ...]],
    kinds: Sequence[type],
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[T]:
    """A page of a short reference list already in ascending ``key`` order (unique keys).

    The cursor holds the last key shown, so the next page starts after it however
    many rows were inserted meanwhile: the same keyset contract as ``paginate``,
    for lists that are built in memory (queues, calendars, policy sets, ...).
    """
    if cursor:
        after = tuple(decode_cursor(cursor, kinds))
        rows = [r for r in rows if key(r) > after]
    items = list(rows[:limit])
    next_cursor = encode_cursor(list(key(items[-1]))) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)
