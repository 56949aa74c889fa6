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
         h AS (INSERT INTO ticket_history ... SELECT t.id, ... FROM t UNION ALL ...),
         s AS (INSERT INTO ticket_slas ... SELECT t.id, ... FROM t),
         n AS (INSERT INTO notifications ... SELECT ..., context || {id, number}, t.id FROM t ...)
    SELECT t.id, t.number FROM t

The statement is built once per shape (ticket type, year, number of history
rows and of e-mails) and reused with bound values. On SQLite (one writer at a
time) the same rows are written one statement after the other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

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
        year = now.astimezone(OSLO).year
        stmt = _one_statement(TicketType(ticket_type), year, len(rows.history), len(rows.mails))
        params = {f"t_{k}": rows.ticket[k] for k in TICKET_COLUMNS}
        for i, entry in enumerate(rows.history):
            params.update({f"h{i}_{k}": entry[k] for k in HISTORY_COLUMNS})
        params.update({f"s_{k}": rows.sla[k] for k in SLA_COLUMNS})
        for i, mail in enumerate(rows.mails):
            params.update({f"n{i}_{k}": mail[k] for k in MAIL_COLUMNS})
        ticket_id, number = session.execute(stmt, params).one()
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
    return sa.bindparam(f"{prefix}{column}", type_=table.c[column].type)


@functools.lru_cache(maxsize=64)
def _one_statement(ticket_type: TicketType, year: int, n_history: int, n_mails: int) -> Any:
    """PostgreSQL: the whole creation as one statement (see the module's docstring)."""
    number = number_expression_for(ticket_type, year)
    values: dict[str, Any] = {c: _bind("t_", TICKETS, c) for c in TICKET_COLUMNS}
    values["number"] = number
    values[SEARCH] = search.document(number, values["title"], values["description"], "")
    t = sa.insert(TICKETS).values(values).returning(TICKETS.c.id, TICKETS.c.number).cte("t")

    rows = [
        sa.select(t.c.id, *(_bind(f"h{i}_", HISTORY, c) for c in HISTORY_COLUMNS))
        for i in range(n_history)
    ]
    history = (
        sa.insert(HISTORY)
        .from_select(
            ("ticket_id", *HISTORY_COLUMNS), sa.union_all(*rows) if n_history > 1 else rows[0]
        )
        .cte("h")
    )
    sla = (
        sa.insert(SLAS)
        .from_select(
            ("ticket_id", *SLA_COLUMNS),
            sa.select(t.c.id, *(_bind("s_", SLAS, c) for c in SLA_COLUMNS)),
        )
        .cte("s")
    )
    writes = [history, sla]
    if n_mails:
        identity = sa.func.jsonb_build_object(
            sa.literal_column("'id'"), t.c.id, sa.literal_column("'number'"), t.c.number
        )
        mails = [
            sa.select(
                t.c.id,
                *(
                    sa.cast(
                        sa.cast(_bind(f"n{i}_", MAILS, c), postgresql.JSONB).op("||")(identity),
                        MAILS.c.context.type,
                    )
                    if c == "context"
                    else _bind(f"n{i}_", MAILS, c)
                    for c in MAIL_COLUMNS
                ),
            )
            for i in range(n_mails)
        ]
        writes.append(
            sa.insert(MAILS)
            .from_select(
                ("ticket_id", *MAIL_COLUMNS), sa.union_all(*mails) if n_mails > 1 else mails[0]
            )
            .cte("n")
        )
    return sa.select(t.c.id, t.c.number).add_cte(*writes)
