"""Ticket numbers (INC-2026-000123): per type and year, gap-free and race-free."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kommune_ikt.core.db import table_of
from servicedesk.choices import NUMBER_PREFIX, TicketType
from servicedesk.models import TicketCounter

OSLO = ZoneInfo("Europe/Oslo")


def next_number(session: Session, ticket_type: TicketType, now: datetime) -> str:
    """Take the next number of ``ticket_type`` in ``now``'s year (Norwegian calendar).

    One upsert bumps the counter row and returns the new value. The row stays
    locked (as by SELECT ... FOR UPDATE) until the creating transaction ends,
    so concurrent creators queue behind it on PostgreSQL (SQLite serialises
    writers anyway), and a creation that fails rolls the counter back with
    it: no number is ever skipped or handed out twice.
    """
    ticket_type = TicketType(ticket_type)
    year = now.astimezone(OSLO).year
    table = table_of(TicketCounter)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(table)
        .values(type=ticket_type.value, year=year, last=1)
        .on_conflict_do_update(
            index_elements=[table.c.type, table.c.year], set_={"last": table.c.last + 1}
        )
        .returning(table.c.last)
    )
    last = session.execute(stmt).scalar_one()
    return f"{NUMBER_PREFIX[ticket_type]}-{year}-{last:06d}"


@functools.lru_cache(maxsize=16)
def number_expression_for(ticket_type: TicketType, year: int, after: Any = None) -> Any:
    """PostgreSQL: ``next_number`` as an SQL expression for the statement that stores it.

    The counter upsert becomes a CTE of that statement (same lock, same
    rollback), so taking the number and writing the ticket cost one round trip,
    which matters because the counter row stays locked until the creation
    commits. ``after``, a CTE of the same statement, is read to its end before
    the counter is touched (so a lock it takes comes first). Cached per
    arguments: the same object each time, so the statement built on it
    (filing.py) is built once too.
    """
    table = table_of(TicketCounter)

    # Constants are written into the SQL (type and year come from our enum and an
    # int), so the statements that embed this carry no parameters for them.
    def sql(value: str | int) -> Any:
        return sa.literal_column(f"'{value}'" if isinstance(value, str) else str(value))

    first = sa.select(sql(ticket_type.value), sql(year), sql(1))
    if after is not None:
        # count(*) reads every row of ``after`` before the one row it feeds the upsert.
        first = first.select_from(sa.select(sa.func.count()).select_from(after).subquery())
    counter = (
        postgresql.insert(table)
        .from_select(["type", "year", "last"], first)
        .on_conflict_do_update(
            index_elements=[table.c.type, table.c.year], set_={"last": table.c.last + sql(1)}
        )
        .returning(table.c.last)
        .cte("counter")
    )
    digits = sa.cast(counter.c.last, sa.Text)
    # At least six digits, as f"{last:06d}" (lpad alone would cut a seventh).
    padded = sa.func.lpad(digits, sa.func.greatest(sql(6), sa.func.length(digits)), sql("0"))
    prefix = sql(f"{NUMBER_PREFIX[ticket_type]}-{year}-")
    return sa.select(prefix.op("||")(padded)).scalar_subquery()
