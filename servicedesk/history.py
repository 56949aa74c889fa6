"""Ticket history: one append-only row per field change or comment, in the change's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kommune_ikt.core.auth.actor import Actor
from kommune_ikt.core.db import table_of
from servicedesk.models import TicketHistory


def _plain(value: Any) -> Any:
    """A JSON-ready value: enums as their value, instants as RFC 3339 text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def record(
    session: Session,
    ticket_id: int,
    actor: Actor | None,
    at: datetime,
    field: str,
    old: Any = None,
    new: Any = None,
    *,
    internal: bool = False,
) -> TicketHistory:
    """Add one history entry; ``actor`` None (or the system actor) records the system."""
    entry = TicketHistory(
        ticket_id=ticket_id,
        at=at,
        actor_id=actor.user_id if actor is not None else None,
        field=field,
        old=_plain(old),
        new=_plain(new),
        internal=internal,
    )
    session.add(entry)
    return entry


_TABLE = table_of(TicketHistory)
_INSERT = sa.insert(_TABLE).returning(_TABLE.c.id)


def record_many(
    session: Session,
    ticket_id: int,
    at: datetime,
    entries: Sequence[tuple[Actor | None, str, Any, Any]],
) -> None:
    """Add ``(actor, field, old, new)`` entries at one instant in one INSERT, in order."""
    # RETURNING makes SQLAlchemy send the rows as one multi-row INSERT.
    session.execute(_INSERT, [{"ticket_id": ticket_id, **row} for row in rows(at, entries)])


def rows(at: datetime, entries: Sequence[tuple[Actor | None, str, Any, Any]]) -> list[dict]:
    """The column values (all but id and ticket_id) of ``(actor, field, old, new)`` entries."""
    return [
        {
            "at": at,
            "actor_id": actor.user_id if actor is not None else None,
            "field": field,
            "old": _plain(old),
            "new": _plain(new),
            "internal": False,
        }
        for actor, field, old, new in entries
    ]
