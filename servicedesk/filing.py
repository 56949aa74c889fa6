"""Storing a new ticket's rows: the ticket, its history, its SLA row and its e-mails.

``services._insert`` decides everything (queue, agent, SLA, recipients) and
hands the rows here; this module only writes them, taking the ticket's number
as it does.

On PostgreSQL that is one statement, so one round trip holds the number
counter's lock for the shortest time and every index of ``tickets`` is written
once (no later UPDATE for number and search document)::

    WITH counter AS (INSERT INTO ticket_counters ... ON CONFLICT DO UPDATE ... RETURNING last),
         t AS (INSERT INTO tickets (number, ..., search_document)
               VALUES ((SELECT 'INC-2026-' || lpad(...) FROM counter), ...) RETURNING id, number),
         h AS (INSERT INTO ticket_history ... SELECT t.id, e.*
               FROM t JOIN json_to_recordset(:history) e),
         s AS (INSERT INTO ticket_slas ... SELECT t.id, ... FROM t),
         n AS (INSERT INTO notifications ... SELECT m.*, context || {id, number}, t.id
               FROM t JOIN json_to_recordset(:mails) m)
    SELECT t.id, t.number FROM t

The statement is built once per ticket type and year and reused with bound
values. On SQLite (one writer at a time) the same rows are written one
statement after the other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from kommune_ikt.db import DriverStatement
from kommune_ikt.notifications.models import Notification
from servicedesk import search
from servicedesk.choices import TicketType
from servicedesk.models import Ticket, TicketHistory
from servicedesk.numbering import OSLO, next_number, number_expression_for
from servicedesk.sla.models import TicketSla

TICKETS = Ticket.__table__  # type: ignore[attr-defined]
HISTORY = TicketHistory.__table__  # type: ignore[attr-defined]
SLAS = TicketSla.__table__  # type: ignore[attr-defined]
MAILS = Notification.__table__  # type: ignore[attr-defined]
# Columns the write fills in itself.
TICKET_OWN = ("id", "number", SEARCH := search.SEARCH_DOCUMENT.name)
TICKET_COLUMNS = tuple(c.name for c in TICKETS.columns if c.name not in TICKET_OWN)
HISTORY_COLUMNS = tuple(c.name for c in HISTORY.columns if c.name not in ("id", "ticket_id"))
SLA_COLUMNS = tuple(c.name for c in SLAS.columns if c.name != "ticket_id")
MAIL_COLUMNS = tuple(c.name for c in MAILS.columns if c.name not in ("id", "ticket_id"))


@dataclass(frozen=True)
class NewRows:
    """A new ticket's rows without its id and number (which the write provides).

    ``ticket``: every TICKET_COLUMNS value; ``history``: HISTORY_COLUMNS values per
    entry, in order; ``sla``: SLA_COLUMNS values; ``mails``: MAIL_COLUMNS values per
    e-mail, whose ``context`` gets the ticket's ``id`` and ``number`` added.
    """

    ticket: dict[str, Any]
    history: list[dict[str, Any]]
    sla: dict[str, Any]
    mails: list[dict[str, Any]]


def write(
    session: Session, ticket_type: TicketType, now: datetime, rows: NewRows
) -> tuple[int, str]:
    """Store the rows and take the ticket's number; returns ``(id, number)``."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = _one_statement(TicketType(ticket_type), now.astimezone(OSLO).year)
        params = {f"t_{k}": rows.ticket[k] for k in TICKET_COLUMNS}
        params.update({f"s_{k}": rows.sla[k] for k in SLA_COLUMNS})
        params["now"] = now
        params["history"] = [
            {"n": n, **{k: e[k] for k in ("actor_id", "field", "old", "new")}}
            for n, e in enumerate(rows.history)
        ]
        params["mails"] = [
            {k: m[k] for k in ("event", "recipient", "language", "context")} for m in rows.mails
        ]
        ticket_id, number = stmt.execute(session, params).one()
        return ticket_id, number

    number = next_number(session, ticket_type, now)
    ticket_id = session.execute(_INSERT_TICKET, {**rows.ticket, "number": number}).scalar_one()
    session.execute(_INSERT_HISTORY, [{**e, "ticket_id": ticket_id} for e in rows.history])
    session.execute(_INSERT_SLA, {**rows.sla, "ticket_id": ticket_id})
    if rows.mails:
        session.execute(
            _INSERT_MAILS,
            [
                {**m, "ticket_id": ticket_id, "context": {**m["context"], "id": ticket_id,
                                                          "number": number}}
                for m in rows.mails
            ],
        )  # fmt: skip
    search.index_ticket(session, ticket_id, new=True)
    return ticket_id, number


# SQLite's statements (RETURNING makes SQLAlchemy send several rows as one INSERT).
_INSERT_TICKET = sa.insert(TICKETS).returning(TICKETS.c.id)
_INSERT_HISTORY = sa.insert(HISTORY).returning(HISTORY.c.id)
_INSERT_SLA = sa.insert(SLAS)
_INSERT_MAILS = sa.insert(MAILS).returning(MAILS.c.id)


def _bind(prefix: str, table: sa.Table, column: str) -> Any:
    """A parameter typed as ``table.column`` (so its value is converted as the column's)."""
    return sa.bindparam(f"{prefix}{column}", type_=table.c[column].type)


@functools.lru_cache(maxsize=16)
def _one_statement(ticket_type: TicketType, year: int) -> DriverStatement:
    """PostgreSQL: the whole creation as one statement (see the module's docstring).

    History entries and e-mails come as one JSON array each (``json_to_recordset``),
    so the statement's text and its 38 parameters do not depend on how many there
    are: psycopg converts the text once and PostgreSQL plans it once (psycopg
    caches neither for statements over 4 096 characters or 50 parameters).
    """
    number = number_expression_for(ticket_type, year)
    now = sa.bindparam("now", type_=TICKETS.c.created_at.type)
    values: dict[str, Any] = {c: _bind("t_", TICKETS, c) for c in TICKET_COLUMNS}
    values["number"] = number
    no_comments = sa.literal_column("''")
    values[SEARCH] = search.document(number, values["title"], values["description"], no_comments)
    t = sa.insert(TICKETS).values(values).returning(TICKETS.c.id, TICKETS.c.number).cte("t")

    entries = _records(
        "history", "e", n=sa.Integer, actor_id=sa.Integer, field=sa.Text, old=sa.JSON, new=sa.JSON
    )
    history = (
        sa.insert(HISTORY)
        .from_select(
            ("ticket_id", "at", "actor_id", "field", "old", "new", "internal"),
            sa.select(
                t.c.id, now, entries.c.actor_id, entries.c.field, entries.c.old, entries.c.new,
                sa.false(),
            )
            .select_from(t.join(entries, sa.true()))
            .order_by(entries.c.n),
        )
        .cte("h")
    )  # fmt: skip
    sla = (
        sa.insert(SLAS)
        .from_select(
            ("ticket_id", *SLA_COLUMNS),
            sa.select(t.c.id, *(_bind("s_", SLAS, c) for c in SLA_COLUMNS)),
        )
        .cte("s")
    )
    mails = _records(
        "mails", "m", event=sa.Text, recipient=sa.Text, language=sa.Text, context=postgresql.JSONB
    )
    identity = sa.func.jsonb_build_object(
        sa.literal_column("'id'"), t.c.id, sa.literal_column("'number'"), t.c.number
    )
    outbox = (
        sa.insert(MAILS)
        .from_select(
            ("ticket_id", "event", "recipient", "language", "context", "status", "attempts",
             "next_attempt_at", "created_at"),
            sa.select(
                t.c.id, mails.c.event, mails.c.recipient, mails.c.language,
                sa.cast(mails.c.context.op("||")(identity), MAILS.c.context.type),
                sa.literal_column("'pending'"), sa.literal_column("0"), now, now,
            ).select_from(t.join(mails, sa.true())),
        )
        .cte("n")
    )  # fmt: skip
    return DriverStatement(sa.select(t.c.id, t.c.number).add_cte(history, sla, outbox))


def _records(param: str, name: str, **columns: Any) -> Any:
    """``json_to_recordset(:param) AS name(column type, ...)``: rows from one JSON array."""
    return (
        sa.func.json_to_recordset(sa.bindparam(param, type_=sa.JSON))
        .table_valued(*(sa.column(c, t) for c, t in columns.items()))
        .render_derived(name=name, with_types=True)
    )
