"""The escalation sweep: record 75 % warnings and 100 % breaches, each once per ticket and target.

Set-based, so its cost does not grow with the number of open tickets beyond
an index range scan: each ticket's SLA row holds the instant its next warning
or breach falls due (kept current by ``apply_sla`` on every change). The sweep
inserts an ``sla_events`` row for every trigger that has passed (the unique
constraint on ticket, target and kind makes a second insert a no-op), adds the
ticket history entry and the notifications in the same transaction, then
clears the triggers it has consumed.

A breach notifies the ticket's assignee and the agents of its queue (queues
have no lead of their own; the agents of the queue are its leads); a warning
notifies the assignee, or the queue's agents while nobody is assigned, and is
not sent when the breach of the same target is recorded in the same sweep.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kommune_ikt.core.auth.models import User
from kommune_ikt.core.db import table_of
from kommune_ikt.core.types import UTCDateTime, utcnow
from notifications.models import Notification
from servicedesk.models import QueueAgent, Ticket, TicketHistory
from servicedesk.sla.models import SlaEvent, TicketSla
from servicedesk.sla.state import refresh_stale

WARNING, BREACH = "warning", "breach"
# (target, kind, trigger column, fired flag), breaches first so a warning that
# comes in the same sweep as its breach can be left unsent.
THRESHOLDS = (
    ("response", BREACH, "response_breach_at", "response_breached"),
    ("resolution", BREACH, "resolution_breach_at", "resolution_breached"),
    ("response", WARNING, "response_warn_at", "response_warned"),
    ("resolution", WARNING, "resolution_warn_at", "resolution_warned"),
)
NOTIFICATION_EVENT = {WARNING: "sla_warning", BREACH: "sla_breach"}


def sweep(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """Record every warning and breach due by ``now``; returns counts for the job record."""
    now = now or utcnow()
    counts: dict[str, Any] = {"refreshed": refresh_stale(session, now)}
    for target, kind, _trigger, _flag in THRESHOLDS:
        counts[f"{target}_{kind}"] = 0
    if not _lock_due(session, now):
        return counts
    for target, kind, trigger, _flag in THRESHOLDS:
        recorded = _record_events(session, target, kind, trigger, now)
        counts[f"{target}_{kind}"] = recorded
        if recorded:
            _add_history(session, target, kind, now)
            counts[f"{target}_{kind}_notifications"] = _notify(session, target, kind, now)
    _consume_triggers(session, now)
    session.flush()
    return counts


def _any_due(now: datetime) -> Any:
    """A trigger has passed, on a row that is current (stale rows wait for their recompute)."""
    slas = table_of(TicketSla)
    return sa.and_(
        sa.or_(*(slas.c[trigger] <= _at(now) for _t, _k, trigger, _f in THRESHOLDS)),
        slas.c.stale.is_(False),
    )


def _lock_due(session: Session, now: datetime) -> int:
    """Lock the SLA rows with a due trigger, so a ticket change cannot re-arm one mid-sweep.

    (PostgreSQL; SQLite's write lock, taken at BEGIN, already keeps writers out.)
    """
    slas = table_of(TicketSla)
    due = sa.select(slas.c.ticket_id).where(_any_due(now)).with_for_update().subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(due)) or 0


def _record_events(session: Session, target: str, kind: str, trigger: str, now: datetime) -> int:
    slas = table_of(TicketSla)
    tickets = table_of(Ticket)
    events = table_of(SlaEvent)
    column = slas.c[trigger]
    # A stale row (its calendar was edited) may hold a trigger that no longer holds.
    due = [column <= _at(now), slas.c.stale.is_(False)]
    if target == "response":
        # A response that came before the trigger instant means it never happened
        # (apply_sla normally clears it already; this keeps the sweep exact anyway).
        due.append(sa.or_(tickets.c.responded_at.is_(None), tickets.c.responded_at > column))
    source = (
        sa.select(
            slas.c.ticket_id,
            sa.literal(target, sa.String),
            sa.literal(kind, sa.String),
            column,
            _at(now),
            slas.c.priority,
            tickets.c.municipality_number,
            tickets.c.queue_code,
        )
        .select_from(slas.join(tickets, tickets.c.id == slas.c.ticket_id))
        .where(*due)
    )
    insert = _insert(session, events).from_select(
        [
            "ticket_id",
            "target",
            "kind",
            "at",
            "recorded_at",
            "priority",
            "municipality_number",
            "queue_code",
        ],
        source,
    )
    # Counted from RETURNING: rowcount of INSERT ... SELECT is not reliable on every driver.
    return len(
        session.execute(
            insert.on_conflict_do_nothing(index_elements=["ticket_id", "target", "kind"]).returning(
                events.c.id
            )
        ).all()
    )


def _consume_triggers(session: Session, now: datetime) -> None:
    """Clear every trigger that was due (its event is recorded, or a response made it moot).

    One update per row for all four triggers: each row version costs index
    maintenance, so four separate updates would cost four times as much.
    """
    slas = table_of(TicketSla)
    values: dict[str, Any] = {}
    for _target, _kind, trigger, flag in THRESHOLDS:
        column = slas.c[trigger]
        was_due = column <= _at(now)
        values[trigger] = sa.case((was_due, sa.null()), else_=column)
        values[flag] = sa.or_(slas.c[flag], sa.func.coalesce(was_due, sa.false()))
    session.execute(
        sa.update(slas)
        .where(_any_due(now))
        .values(values)
        .execution_options(synchronize_session=False)
    )


def _add_history(session: Session, target: str, kind: str, now: datetime) -> None:
    events = table_of(SlaEvent)
    source = sa.select(
        events.c.ticket_id,
        events.c.at,
        sa.null(),
        sa.literal(f"sla_{target}", sa.String),
        sa.null(),
        _json(session, kind),
        sa.false(),
    ).where(_this_sweep(events, target, kind, now))
    session.execute(
        sa.insert(table_of(TicketHistory)).from_select(
            ["ticket_id", "at", "actor_id", "field", "old", "new", "internal"], source
        )
    )


def _notify(session: Session, target: str, kind: str, now: datetime) -> int:
    events = table_of(SlaEvent)
    tickets = table_of(Ticket)
    users = table_of(User)
    agents = table_of(QueueAgent)
    base = (
        sa.select(
            events.c.ticket_id.label("ticket_id"),
            users.c.email.label("email"),
            tickets.c.number.label("number"),
            tickets.c.title.label("title"),
            events.c.priority.label("priority"),
            events.c.at.label("due"),
        )
        .select_from(events.join(tickets, tickets.c.id == events.c.ticket_id))
        .where(_this_sweep(events, target, kind, now), users.c.active.is_(True))
    )
    to_assignee = base.join(users, users.c.id == tickets.c.assignee_id)
    # The queue's agents other than the assignee, so UNION ALL needs no de-duplication.
    to_queue = (
        base.join(agents, agents.c.queue_code == tickets.c.queue_code)
        .join(users, users.c.id == agents.c.user_id)
        .where(sa.or_(tickets.c.assignee_id.is_(None), tickets.c.assignee_id != users.c.id))
    )
    if kind == WARNING:
        to_queue = to_queue.where(tickets.c.assignee_id.is_(None))
        breach = events.alias("breach")
        breached_now = (
            sa.select(sa.literal(1))
            .where(
                breach.c.ticket_id == events.c.ticket_id,
                breach.c.target == target,
                breach.c.kind == BREACH,
                breach.c.recorded_at == _at(now),
            )
            .exists()
        )
        to_assignee = to_assignee.where(~breached_now)
        to_queue = to_queue.where(~breached_now)
    r = sa.union_all(to_assignee, to_queue).subquery("recipients")
    context = _json_object(
        session,
        target=_text(target),
        kind=_text(kind),
        id=r.c.ticket_id,
        number=r.c.number,
        title=r.c.title,
        priority=r.c.priority,
        due=r.c.due,
    )
    source = sa.select(
        _text(NOTIFICATION_EVENT[kind]),
        r.c.email,
        context,
        r.c.ticket_id,
        _text("pending"),
        sa.literal(0, sa.Integer),
        _at(now),
        _at(now),
    )
    return len(
        session.execute(
            sa.insert(table_of(Notification))
            .from_select(
                [
                    "event",
                    "recipient",
                    "context",
                    "ticket_id",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                ],
                source,
            )
            .returning(table_of(Notification).c.id)
        ).all()
    )


def _this_sweep(events: sa.Table, target: str, kind: str, now: datetime) -> Any:
    return sa.and_(
        events.c.recorded_at == _at(now), events.c.target == target, events.c.kind == kind
    )


def _at(now: datetime) -> Any:
    return sa.literal(now, UTCDateTime)


def _text(value: str) -> Any:
    return sa.cast(sa.literal(value, sa.Text), sa.Text)


def _json_object(session: Session, **values: Any) -> Any:
    """A JSON object built by the database from columns (one per inserted row)."""
    args: list[Any] = []
    for key, value in values.items():
        args += [_text(key), value]
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.json_build_object(*args, type_=postgresql.JSON)
    return sa.func.json_object(*args)


def _json(session: Session, value: Any) -> Any:
    """A JSON constant usable in INSERT ... SELECT on both databases."""
    text = json.dumps(value)
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.literal(text, sa.Text), postgresql.JSON)
    return sa.literal(text, sa.Text)


def _insert(session: Session, table: sa.Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
