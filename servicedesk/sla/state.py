"""SLA state of tickets: targets set on creation and change, and the views for responses.

The ticket services call two functions from here:

- ``apply_sla(session, ticket, now)`` after a ticket is created and after each change of
  status, priority, impact, urgency or first response (after the history rows are
  added): it snapshots the policy on first call and stores the escalation triggers;
- ``sla_views(session, tickets, now)`` to render the ``sla`` object of many tickets in a
  response, in one batch (a fixed number of queries, whatever the number of tickets).

Both derive the state from the ticket's history with ``servicedesk.sla.derive``, so
what a response shows is exact at the moment of the request, with or without the
escalation job having run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.db import saved_id, table_of
from kommune_ikt.core.types import utcnow
from servicedesk.models import Ticket, TicketHistory
from servicedesk.sla.calendars import ALWAYS
from servicedesk.sla.clock import BusinessClock
from servicedesk.sla.derive import Change, SlaResult, Target, at_creation, derive
from servicedesk.sla.models import TicketSla
from servicedesk.snapshot import Reference, reference

DEFAULT_SET = "default"
CLOCK_FIELDS = ("status", "priority")
# Priorities that run on the 24x7 calendar when the ticket's service is staffed 24x7.
ROUND_THE_CLOCK_PRIORITIES = (1, 2)
TARGETS = ("response", "resolution")
KINDS = ("warn", "breach")
NEW_ROW_FLAGS = ("response_warned", "response_breached", "resolution_warned", "resolution_breached")
# Every column of a new ticket_slas row but ticket_id (sla_for_new's values).
NEW_ROW_COLUMNS = tuple(c.name for c in table_of(TicketSla).columns if c.name != "ticket_id")


def apply_sla(session: Session, ticket: Ticket, now: datetime) -> None:
    """(Re)compute and store the ticket's SLA; call after every change the clocks care about."""
    apply_many(session, [ticket], now)


def apply_many(session: Session, tickets: Sequence[Ticket], now: datetime) -> list[TicketSla]:
    """``apply_sla`` for many tickets in a fixed number of queries."""
    if not tickets:
        return []
    session.flush()
    ids = [t.id for t in tickets]
    rows = {
        row.ticket_id: row
        for row in session.scalars(sa.select(TicketSla).where(col(TicketSla.ticket_id).in_(ids)))
    }
    missing = [t for t in tickets if t.id not in rows]
    if missing:
        for ticket, (set_name, policy) in zip(
            missing, policy_snapshots(session, missing), strict=True
        ):
            row = TicketSla(
                ticket_id=saved_id(ticket),
                policy_set=set_name,
                policy=policy,
                priority=ticket.priority,
                calendar=policy[str(ticket.priority)]["calendar"],
                response_minutes=policy[str(ticket.priority)]["response_minutes"],
                resolution_minutes=policy[str(ticket.priority)]["resolution_minutes"],
                computed_at=now,
            )
            session.add(row)
            rows[saved_id(ticket)] = row
    results = _derive_many(session, tickets, {i: row.policy for i, row in rows.items()}, now)
    for ticket in tickets:
        store(rows[saved_id(ticket)], results[saved_id(ticket)], now)
    session.flush()
    return [rows[saved_id(t)] for t in tickets]


def store(row: TicketSla, result: SlaResult, now: datetime) -> None:
    """Write the derived targets and the sweep's triggers (events already fired stay fired)."""
    target = row.policy[str(result.priority)]
    row.priority = result.priority
    row.calendar = target["calendar"]
    row.response_minutes = target["response_minutes"]
    row.resolution_minutes = target["resolution_minutes"]
    for name, clock in (("response", result.response), ("resolution", result.resolution)):
        for kind, instant in (("warn", clock.warn_trigger), ("breach", clock.breach_trigger)):
            fired = getattr(row, f"{name}_{'warned' if kind == 'warn' else 'breached'}")
            setattr(row, f"{name}_{kind}_at", None if fired else instant)
    row.stale = False
    row.computed_at = now


def sla_views(session: Session, tickets: Sequence[Any], now: datetime) -> dict[int, dict]:
    """``{ticket.id: {response_due, resolution_due, responded_at, resolved_at,
    response_breached, resolution_breached, paused}}`` exact at ``now``, in one batch."""
    if not tickets:
        return {}
    # Core statements below (no ORM autoflush): what the transaction changed counts.
    session.flush()
    ids = [t.id for t in tickets]
    # Only the policy snapshots: whole TicketSla entities cost a page of 50 more
    # than deriving its SLAs does.
    connection = session.connection()
    snapshots = sa.select(col(TicketSla.ticket_id), col(TicketSla.policy)).where(
        one_of(col(TicketSla.ticket_id), ids, connection.dialect.name)
    )
    policies: dict[int, Any] = {i: policy for i, policy in connection.execute(snapshots).all()}
    missing = [t for t in tickets if t.id not in policies]
    if missing:
        # Tickets that never went through apply_sla (e.g. loaded in bulk): show what
        # the current policy would give them, without writing from a read.
        for ticket, (_set_name, policy) in zip(
            missing, policy_snapshots(session, missing), strict=True
        ):
            policies[ticket.id] = policy
    results = _derive_many(session, tickets, policies, now)
    return {ticket_id: result.view() for ticket_id, result in results.items()}


def sla_results(session: Session, tickets: Sequence[Ticket], now: datetime) -> dict[int, SlaResult]:
    """The full derivation (elapsed time, triggers) of tickets that have an SLA row."""
    ids = [t.id for t in tickets]
    rows = {
        row.ticket_id: row
        for row in session.scalars(sa.select(TicketSla).where(col(TicketSla.ticket_id).in_(ids)))
    }
    policies = {ticket_id: row.policy for ticket_id, row in rows.items()}
    return _derive_many(session, [t for t in tickets if t.id in rows], policies, now)


def _derive_many(
    session: Session,
    tickets: Sequence[Any],
    policies: Mapping[int, Mapping[str, Mapping[str, Any]]],
    now: datetime,
) -> dict[int, SlaResult]:
    """Each ticket's SLA at ``now`` under its policy snapshot (``policies`` by ticket id)."""
    clocks = load_clocks(session)
    changes = _clock_changes(session, [t.id for t in tickets])
    return {
        ticket.id: _derive(ticket, policies[ticket.id], changes.get(ticket.id, ()), clocks, now)
        for ticket in tickets
    }


def _derive(
    ticket: Any,
    policy: Mapping[str, Mapping[str, Any]],
    changes: Sequence[Change],
    clocks: Mapping[str, BusinessClock],
    now: datetime,
) -> SlaResult:
    return derive(
        created_at=ticket.created_at,
        status=ticket.status,
        priority=ticket.priority,
        changes=changes,
        responded_at=ticket.responded_at,
        policy={
            int(priority): Target(t["response_minutes"], t["resolution_minutes"], t["calendar"])
            for priority, t in policy.items()
        },
        clocks=clocks,
        now=now,
    )


def _clock_changes(session: Session, ticket_ids: Iterable[int]) -> dict[int, list[Change]]:
    """The status and priority entries of the tickets, in order, with their values as the
    plain text of the stored JSON scalars ("closed", "2"), which is all ``derive`` reads:
    a page of 50 tickets has some 250 of them, and decoding each as JSON cost more than
    the query."""
    session.flush()  # a Core statement: pending entries of this transaction count
    connection = session.connection()
    stmt = (
        sa.select(
            col(TicketHistory.ticket_id),
            col(TicketHistory.at),
            col(TicketHistory.field),
            _scalar_text(col(TicketHistory.old), connection.dialect.name),
            _scalar_text(col(TicketHistory.new), connection.dialect.name),
        )
        .where(
            one_of(col(TicketHistory.ticket_id), list(ticket_ids), connection.dialect.name),
            col(TicketHistory.field).in_(CLOCK_FIELDS),
        )
        .order_by(col(TicketHistory.ticket_id), col(TicketHistory.id))
    )
    out: dict[int, list[Change]] = defaultdict(list)
    for row in connection.execute(stmt).all():
        out[row[0]].append(Change._make(row[1:]))
    return out


def one_of(column: Any, ids: list[int], dialect: str) -> Any:
    """``column IN (ids)``; on PostgreSQL as ``= ANY(array)``, one parameter whatever the
    number of ids, so psycopg converts the statement once and PostgreSQL can keep its
    plan (a page's 50 ids as 50 parameters were parsed and planned on every call)."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)


def _scalar_text(column: Any, dialect: str) -> Any:
    """A JSON scalar column's value as SQL text or number (JSON null: NULL)."""
    if dialect == "postgresql":
        return column.op("#>>")(sa.literal_column("'{}'"))
    return sa.func.json_extract(column, "$")


def load_clocks(session: Session) -> Mapping[str, BusinessClock]:
    """Every calendar's clock, from the process's reference snapshot."""
    return reference(session).clocks


def policy_snapshots(
    session: Session, tickets: Sequence[Any]
) -> list[tuple[str, dict[str, dict[str, Any]]]]:
    """For each ticket: its municipality's policy set name and the set's four targets."""
    ref = reference(session)
    return [policy_of(ref, t.municipality_number, t.service_code) for t in tickets]


def policy_of(
    ref: Reference, municipality: str, service_code: str | None
) -> tuple[str, dict[str, dict[str, Any]]]:
    """The policy set a new ticket gets and a copy of its four targets.

    P1 and P2 of a ticket on a service staffed 24x7 run on the ``24x7`` calendar.
    A set that no longer exists falls back to ``default``.
    """
    member = ref.members.get(municipality)
    name = (member.sla_policy_set if member else None) or DEFAULT_SET
    if len(ref.policy_sets.get(name, {})) != 4:
        name = DEFAULT_SET
    policy = {p: dict(t) for p, t in ref.policy_sets[name].items()}
    if service_code and ref.service_hours.get(service_code) == "24x7":
        for priority in ROUND_THE_CLOCK_PRIORITIES:
            policy[str(priority)]["calendar"] = ALWAYS
    return name, policy


def sla_for_new(
    ref: Reference, municipality: str, service_code: str | None, priority: int, now: datetime
) -> tuple[dict[str, Any], SlaResult]:
    """A ticket of ``municipality``, ``service_code`` and ``priority`` being created at
    ``now``: its ``ticket_slas`` row (column values) and its SLA.

    Pure: nothing is counted yet, so the targets and triggers come straight from
    the policy and the calendar (``derive.at_creation``); they equal what
    ``apply_sla`` and ``sla_views`` derive from the stored ticket and history.
    """
    set_name, policy = policy_of(ref, municipality, service_code)
    target = policy[str(priority)]
    result = at_creation(
        created_at=now,
        priority=priority,
        target=Target(target["response_minutes"], target["resolution_minutes"], target["calendar"]),
        clocks=ref.clocks,
    )
    row = {
        "policy_set": set_name,
        "policy": policy,
        "priority": priority,
        "calendar": target["calendar"],
        "response_minutes": target["response_minutes"],
        "resolution_minutes": target["resolution_minutes"],
        "response_warn_at": result.response.warn_trigger,
        "response_breach_at": result.response.breach_trigger,
        "resolution_warn_at": result.resolution.warn_trigger,
        "resolution_breach_at": result.resolution.breach_trigger,
        **dict.fromkeys(NEW_ROW_FLAGS, False),
        "stale": False,
        "computed_at": now,
    }
    return row, result


def mark_stale(session: Session, calendar: str) -> int:
    """After a calendar edit: the open tickets whose policy uses it get recomputed by the sweep."""
    rows = session.execute(
        sa.select(col(TicketSla.ticket_id), col(TicketSla.policy))
        .join(Ticket, col(Ticket.id) == col(TicketSla.ticket_id))
        .where(col(Ticket.status).notin_(("closed", "cancelled")))
    ).all()
    ids = [
        ticket_id
        for ticket_id, policy in rows
        if any(t.get("calendar") == calendar for t in policy.values())
    ]
    for start in range(0, len(ids), 1000):
        session.execute(
            sa.update(TicketSla)
            .where(col(TicketSla.ticket_id).in_(ids[start : start + 1000]))
            .values(stale=True)
        )
    return len(ids)


def refresh_stale(session: Session, now: datetime | None = None, limit: int = 5000) -> int:
    """Recompute tickets marked stale by a calendar edit (the sweep calls this first)."""
    now = now or utcnow()
    ids = list(
        session.scalars(
            sa.select(col(TicketSla.ticket_id)).where(col(TicketSla.stale)).limit(limit)
        )
    )
    if not ids:
        return 0
    tickets = list(session.scalars(sa.select(Ticket).where(col(Ticket.id).in_(ids))))
    apply_many(session, tickets, now)
    return len(tickets)
