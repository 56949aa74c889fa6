"""Storing a new ticket's rows: the ticket, its history, its SLA row and its e-mails.

``plan.plan`` decides everything it can before writing (queue, SLA,
recipients, history) and hands the rows here; this module picks the agent
when the queue auto-assigns, takes the ticket's number and writes the rows.

On PostgreSQL that is one statement, so one round trip holds the queue's and
the number counter's locks for the shortest time and every index of
``tickets`` is written once (no later UPDATE for number and search document)::

    WITH pick AS (SELECT ... FROM servicedesk_pick_agent(:pick_queue, :now)),
         counter AS (INSERT INTO ticket_counters ... SELECT ... FROM (SELECT count(*)
                     FROM pick) ON CONFLICT DO UPDATE ... RETURNING last),
         t AS (INSERT INTO tickets (number, ..., assignee_id, status, search_document)
               VALUES ((SELECT 'INC-2026-' || lpad(...) FROM counter), ...,
                       coalesce((SELECT picked_user_id FROM pick), :assignee), ...)
               RETURNING id, number, assignee_id, status, created_at),
         h AS (INSERT INTO ticket_history ... SELECT t.id, e.*
               FROM t JOIN json_to_recordset(:history) e WHERE <not only if picked, or picked>),
         s AS (INSERT INTO ticket_slas ... VALUES ((SELECT id FROM t), ...)),
         n AS (INSERT INTO notifications ... SELECT m.*, context || {id, number, status}, t.id
               FROM t JOIN json_to_recordset(:mails) m WHERE ...)
    SELECT t.id, t.number, t.assignee_id, t.status FROM t

``servicedesk_pick_agent`` (a VOLATILE function, migration 7a8b9c0d1e07)
locks the queue's row and then picks in a statement of its own, which sees
every pick committed before the lock was granted; the counter's upsert reads
the pick to its end first, so every creator takes the queue's lock before the
counter's. The statement is built once per ticket type and year (SQLAlchemy
Core) and sent through ``DriverStatement`` (psycopg's public cursor, in the
session's transaction), which spares SQLAlchemy's per-call bookkeeping. On
SQLite (one writer at a time) the same steps run one statement after the other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from kommune_ikt.core.db import DriverStatement, table_of
from notifications.models import Notification
from servicedesk import search
from servicedesk.choices import TicketStatus, TicketType
from servicedesk.models import Ticket, TicketHistory
from servicedesk.numbering import OSLO, next_number, number_expression_for
from servicedesk.queues import pick_agent
from servicedesk.sla.models import TicketSla

TICKETS = table_of(Ticket)
HISTORY = table_of(TicketHistory)
SLAS = table_of(TicketSla)
MAILS = table_of(Notification)
# Columns the write fills in itself.
TICKET_OWN = ("id", "number", SEARCH := search.SEARCH_DOCUMENT.name)
TICKET_COLUMNS = tuple(c.name for c in TICKETS.columns if c.name not in TICKET_OWN)
HISTORY_COLUMNS = tuple(c.name for c in HISTORY.columns if c.name not in ("id", "ticket_id"))
SLA_COLUMNS = tuple(c.name for c in SLAS.columns if c.name != "ticket_id")
MAIL_COLUMNS = tuple(c.name for c in MAILS.columns if c.name not in ("id", "ticket_id"))
ASSIGNED = TicketStatus.ASSIGNED.value
SLA_FLAGS = ("response_warned", "response_breached", "resolution_warned", "resolution_breached",
             "stale")  # fmt: skip
TICKET_PARAMS = tuple(
    c for c in TICKET_COLUMNS
    if c not in ("resolution", "responded_at", "resolved_at", "version", "created_at", "updated_at")
)  # fmt: skip
SLA_PARAMS = tuple(c for c in SLA_COLUMNS if c not in (*SLA_FLAGS, "computed_at"))


@dataclass(frozen=True)
class NewRows:
    """A new ticket's rows without its id and number (which the write provides).

    ``ticket``: every TICKET_COLUMNS value; ``history``: HISTORY_COLUMNS values per
    entry, in order; ``sla``: SLA_COLUMNS values; ``mails``: MAIL_COLUMNS values per
    e-mail, whose ``context`` gets the ticket's ``id``, ``number`` and ``status``.

    Auto-assignment is the write's first step when ``pick_queue`` names the
    queue to pick an agent from (``queues.pick_agent``'s rule). Only if an agent
    is picked, the ticket becomes ``assigned`` to them and ``on_pick_history``
    (whose ``assignee`` entry gets the agent's id as ``new``) and
    ``on_pick_mails`` (to the agent's address) are written too.
    """

    ticket: dict[str, Any]
    history: list[dict[str, Any]]
    sla: dict[str, Any]
    mails: list[dict[str, Any]]
    pick_queue: str | None = None
    on_pick_history: list[dict[str, Any]] = field(default_factory=list)
    on_pick_mails: list[dict[str, Any]] = field(default_factory=list)


# What every new ticket and its SLA row hold: PostgreSQL's statement writes these as
# constants (or the creation instant) rather than as parameters, and ``write`` checks them.
NEW_TICKET = {"resolution": None, "responded_at": None, "resolved_at": None, "version": 1}
NEW_SLA = {flag: False for flag in SLA_FLAGS}
AT_CREATION = (("ticket", "created_at"), ("ticket", "updated_at"), ("sla", "computed_at"))


def write(
    session: Session, ticket_type: TicketType, now: datetime, rows: NewRows
) -> tuple[int, str, int | None, str]:
    """Pick the agent (if asked), store the rows and take the ticket's number: the
    stored ticket's id, number, assignee and status."""
    if session.get_bind().dialect.name == "postgresql":
        _check_new(rows, now)
        stmt = _one_statement(TicketType(ticket_type), now.astimezone(OSLO).year)
        params = {f"t_{k}": rows.ticket[k] for k in TICKET_PARAMS}
        params.update({f"s_{k}": rows.sla[k] for k in SLA_PARAMS})
        params["now"] = now
        params["pick_queue"] = rows.pick_queue
        entries = [(e, False) for e in rows.history] + [(e, True) for e in rows.on_pick_history]
        params["history"] = [
            {"n": n, "picked": picked, "agent": picked and e["field"] == "assignee",
             **{k: e[k] for k in ("actor_id", "field", "old", "new")}}
            for n, (e, picked) in enumerate(entries)
        ]  # fmt: skip
        flagged = [(m, False) for m in rows.mails] + [(m, True) for m in rows.on_pick_mails]
        params["mails"] = [
            {"picked": picked, "recipient": None if picked else m["recipient"],
             **{k: m[k] for k in ("event", "language", "context")}}
            for m, picked in flagged
        ]  # fmt: skip
        row = stmt.execute(session, params).one()
        return row.id, row.number, row.assignee_id, row.status

    ticket, history, mails = dict(rows.ticket), list(rows.history), list(rows.mails)
    picked = pick_agent(session, rows.pick_queue, now) if rows.pick_queue else None
    if picked is not None:
        agent, email = picked
        ticket.update(assignee_id=agent, status=ASSIGNED)
        history += [
            {**e, "new": agent} if e["field"] == "assignee" else e for e in rows.on_pick_history
        ]
        mails += [{**m, "recipient": email} for m in rows.on_pick_mails]
    number = next_number(session, ticket_type, now)
    ticket_id = session.execute(_INSERT_TICKET, {**ticket, "number": number}).scalar_one()
    session.execute(_INSERT_HISTORY, [{**e, "ticket_id": ticket_id} for e in history])
    session.execute(_INSERT_SLA, {**rows.sla, "ticket_id": ticket_id})
    if mails:
        session.execute(
            _INSERT_MAILS,
            [
                {**m, "ticket_id": ticket_id, "context": {**m["context"], "id": ticket_id,
                                                          "number": number,
                                                          "status": ticket["status"]}}
                for m in mails
            ],
        )  # fmt: skip
    search.index_ticket(session, ticket_id, new=True)
    return ticket_id, number, ticket["assignee_id"], ticket["status"]


# SQLite's statements (RETURNING makes SQLAlchemy send several rows as one INSERT).
_INSERT_TICKET = sa.insert(TICKETS).returning(TICKETS.c.id)
_INSERT_HISTORY = sa.insert(HISTORY).returning(HISTORY.c.id)
_INSERT_SLA = sa.insert(SLAS)
_INSERT_MAILS = sa.insert(MAILS).returning(MAILS.c.id)


def _check_new(rows: NewRows, now: datetime) -> None:
    """The rows are a new ticket's, as the statement's constants assume."""
    wrong = [k for k, v in NEW_TICKET.items() if rows.ticket[k] != v]
    wrong += [k for k, v in NEW_SLA.items() if rows.sla[k] != v]
    wrong += [k for part, k in AT_CREATION if getattr(rows, part)[k] != now]
    if wrong:
        raise ValueError(f"not a new ticket's rows: {', '.join(wrong)}")


def _bind(prefix: str, table: sa.Table, column: str) -> Any:
    """A parameter typed as ``table.column`` (so its value is converted as the column's)."""
    return sa.bindparam(f"{prefix}{column}", type_=table.c[column].type)


@functools.lru_cache(maxsize=16)
def _one_statement(ticket_type: TicketType, year: int) -> DriverStatement:
    """PostgreSQL: the whole creation as one statement (see the module's docstring).

    History entries and e-mails come as one JSON array each (``json_to_recordset``),
    so the statement's text and its parameters do not depend on how many there
    are: psycopg converts the text once and PostgreSQL plans it once (psycopg
    caches neither for statements over 4 096 characters or 50 parameters).
    """
    now = sa.bindparam("now", type_=TICKETS.c.created_at.type)
    # servicedesk_pick_agent (migration 7a8b9c0d1e07) locks the queue and picks in
    # statements of its own; with no queue it returns nothing and locks nothing.
    agent = (
        sa.func.servicedesk_pick_agent(sa.bindparam("pick_queue", type_=sa.Text), now)
        .table_valued(sa.column("picked_user_id", sa.Integer), sa.column("picked_email", sa.Text))
        .render_derived(name="agent")
    )
    pick = sa.select(agent.c.picked_user_id, agent.c.picked_email).cte("pick")
    # The queue's lock first, then the counter's (the order every creator takes them).
    number = number_expression_for(ticket_type, year, after=pick)
    values: dict[str, Any] = {c: _bind("t_", TICKETS, c) for c in TICKET_PARAMS}
    values.update({c: _constant(v) for c, v in NEW_TICKET.items()})
    values.update(created_at=now, updated_at=now, number=number)
    values["assignee_id"] = sa.func.coalesce(
        sa.select(pick.c.picked_user_id).scalar_subquery(), values["assignee_id"]
    )
    values["status"] = sa.func.coalesce(
        sa.select(sa.literal_column(f"'{ASSIGNED}'")).select_from(pick).scalar_subquery(),
        values["status"],
    )
    values[SEARCH] = search.document(number, values["title"], values["description"], None)
    t = (
        sa.insert(TICKETS)
        .values(values)
        .returning(
            TICKETS.c.id,
            TICKETS.c.number,
            TICKETS.c.assignee_id,
            TICKETS.c.status,
            TICKETS.c.created_at,
        )
        .cte("t")
    )

    entries = _records(
        "history", "e", n=sa.Integer, picked=sa.Boolean, agent=sa.Boolean, actor_id=sa.Integer,
        field=sa.Text, old=sa.JSON, new=sa.JSON,
    )  # fmt: skip
    history = (
        sa.insert(HISTORY)
        .from_select(
            ("ticket_id", "at", "actor_id", "field", "old", "new", "internal"),
            sa.select(
                t.c.id, t.c.created_at, entries.c.actor_id, entries.c.field, entries.c.old,
                sa.case((entries.c.agent, sa.func.to_json(t.c.assignee_id)),
                        else_=entries.c.new),
                sa.false(),
            )
            .select_from(t.join(entries, sa.true()))
            .where(sa.or_(sa.not_(entries.c.picked), t.c.assignee_id.is_not(None)))
            .order_by(entries.c.n),
        )
        .cte("h")
    )  # fmt: skip
    # VALUES rather than INSERT ... SELECT: no column labels (the text must stay short).
    sla = (
        sa.insert(SLAS)
        .values(
            ticket_id=sa.select(t.c.id).scalar_subquery(),
            **{c: _bind("s_", SLAS, c) for c in SLA_PARAMS},
            **{c: _constant(v) for c, v in NEW_SLA.items()},
            computed_at=now,
        )
        .cte("s")
    )
    mails = _records(
        "mails", "m", picked=sa.Boolean, event=sa.Text, recipient=sa.Text, language=sa.Text,
        context=postgresql.JSONB,
    )  # fmt: skip
    identity = sa.func.jsonb_build_object(
        sa.literal_column("'id'"), t.c.id, sa.literal_column("'number'"), t.c.number,
        sa.literal_column("'status'"), t.c.status,
    )  # fmt: skip
    outbox = (
        sa.insert(MAILS)
        .from_select(
            ("ticket_id", "event", "recipient", "language", "context", "status", "attempts",
             "next_attempt_at", "created_at"),
            sa.select(
                t.c.id, mails.c.event,
                sa.func.coalesce(mails.c.recipient,
                                 sa.select(pick.c.picked_email).scalar_subquery()),
                mails.c.language,
                sa.cast(mails.c.context.op("||")(identity), MAILS.c.context.type),
                sa.literal_column("'pending'"), sa.literal_column("0"), t.c.created_at,
                t.c.created_at,
            )
            .select_from(t.join(mails, sa.true()))
            .where(sa.or_(sa.not_(mails.c.picked), t.c.assignee_id.is_not(None))),
        )
        .cte("n")
    )  # fmt: skip
    return DriverStatement(
        sa.select(t.c.id, t.c.number, t.c.assignee_id, t.c.status).add_cte(history, sla, outbox)
    )


def _constant(value: Any) -> Any:
    return sa.null() if value is None else sa.literal_column(str(value).lower())


def _records(param: str, name: str, **columns: Any) -> Any:
    """``json_to_recordset(:param) AS name(column type, ...)``: rows from one JSON array."""
    return (
        sa.func.json_to_recordset(sa.bindparam(param, type_=sa.JSON))
        .table_valued(*(sa.column(c, t) for c, t in columns.items()))
        .render_derived(name=name, with_types=True)
    )
