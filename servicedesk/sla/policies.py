"""Use cases for SLA calendars and policy sets: read, replace, re-apply to open tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.db import saved_id
from kommune_ikt.core.errors import Conflict, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import DEFAULT_LIMIT, Page, paginate
from kommune_ikt.core.types import utcnow
from service_catalog.models import Municipality
from service_catalog.municipalities import today
from servicedesk.choices import FINAL_STATUSES
from servicedesk.models import Ticket
from servicedesk.sla.calendars import ALWAYS, spec_of, validate_calendar
from servicedesk.sla.clock import MAX_YEARS_AHEAD, ClockError, clock_for
from servicedesk.sla.models import SlaCalendar, SlaPolicy, SlaPolicyChange, SlaPolicySet, TicketSla
from servicedesk.sla.state import (
    DEFAULT_SET,
    apply_many,
    load_clocks,
    mark_stale,
    policy_snapshots,
)

PRIORITIES = (1, 2, 3, 4)
CALENDAR_FIELDS = (
    "timezone",
    "hours",
    "holiday_country",
    "holiday_subdivision",
    "extra_closed_dates",
    "special_hours",
    "closures",
)


# --- calendars -------------------------------------------------------------------


def list_calendars(session: Session, actor: Actor) -> list[SlaCalendar]:
    return list(session.scalars(sa.select(SlaCalendar).order_by(SlaCalendar.name)))


def get_calendar(
    session: Session, actor: Actor, name: str, *, for_update: bool = False
) -> SlaCalendar:
    calendar = session.get(SlaCalendar, name, with_for_update=for_update)
    if calendar is None:
        raise NotFound(N_("Calendar %(name)s not found."), params={"name": name})
    return calendar


def put_calendar(
    session: Session, actor: Actor, name: str, doc: dict[str, Any], *, now: datetime | None = None
) -> tuple[SlaCalendar, bool]:
    """Create or replace a calendar (admin); returns it and whether it was created.

    Open tickets on an edited calendar are recomputed by the next sweep; what
    responses show uses the new calendar at once.
    """
    actor.require(Role.ADMIN)
    now = now or utcnow()
    if name == ALWAYS:
        raise Conflict(N_("The 24x7 calendar is built in and cannot be changed."))
    values = validate_calendar(doc, today=today())
    _check_policies_reach(session, name, values, now)
    calendar = session.get(SlaCalendar, name, with_for_update=True)
    created = calendar is None
    if calendar is None:
        calendar = SlaCalendar(name=name, **values, updated_at=now)
        session.add(calendar)
    else:
        for key, value in values.items():
            setattr(calendar, key, value)
        calendar.version += 1
        calendar.updated_at = now
    session.flush()
    if not created:
        mark_stale(session, name)
    return calendar, created


def _check_policies_reach(
    session: Session, name: str, values: dict[str, Any], now: datetime
) -> None:
    """422 when the policies that use this calendar could no longer reach their targets."""
    clock = clock_for(spec_of(values))
    using = session.scalars(sa.select(SlaPolicy).where(col(SlaPolicy.calendar) == name))
    for policy in using:
        for minutes in (policy.response_minutes, policy.resolution_minutes):
            try:
                clock.add_minutes(now, minutes)
            except (ClockError, OverflowError, ValueError):
                raise ValidationFailed(
                    "hours",
                    N_(
                        "Policy set %(set)r, priority %(priority)s: %(minutes)s minutes could "
                        "not be reached within %(years)s years in this calendar; open it more "
                        "or change that policy first."
                    ),
                    params={
                        "set": policy.set_name,
                        "priority": policy.priority,
                        "minutes": minutes,
                        "years": MAX_YEARS_AHEAD,
                    },
                )


# --- policy sets -------------------------------------------------------------------


def list_policy_sets(session: Session, actor: Actor) -> list[dict[str, Any]]:
    sets = list(session.scalars(sa.select(SlaPolicySet).order_by(SlaPolicySet.name)))
    policies = _policies(session, [s.name for s in sets])
    return [_present(s, policies.get(s.name, [])) for s in sets]


def get_policy_set(session: Session, actor: Actor, name: str) -> dict[str, Any]:
    policy_set = session.get(SlaPolicySet, name)
    if policy_set is None:
        raise NotFound(N_("SLA policy set %(name)s not found."), params={"name": name})
    return _present(policy_set, _policies(session, [name]).get(name, []))


def put_policy_set(
    session: Session,
    actor: Actor,
    name: str,
    policies: list[dict[str, Any]],
    *,
    now: datetime | None = None,
) -> tuple[dict[str, Any], bool]:
    """Create or replace a set's four policies (admin); the change is recorded.

    Open tickets keep the targets they were given; ``reapply_policy_set`` moves
    them to the new ones.
    """
    actor.require(Role.ADMIN)
    now = now or utcnow()
    new = _check_policies(session, policies, now)
    policy_set = session.get(SlaPolicySet, name, with_for_update=True)
    created = policy_set is None
    old = None
    if policy_set is None:
        policy_set = SlaPolicySet(name=name, created_at=now, updated_at=now)
        session.add(policy_set)
        session.flush()
    else:
        old = [_plain(p) for p in _policies(session, [name]).get(name, [])]
        session.execute(sa.delete(SlaPolicy).where(col(SlaPolicy.set_name) == name))
        policy_set.version += 1
        policy_set.updated_at = now
    for item in new:
        session.add(SlaPolicy(set_name=name, **item))
    session.add(
        SlaPolicyChange(
            set_name=name,
            at=now,
            actor_id=actor.user_id,
            action="created" if created else "updated",
            old=old,
            new=new,
        )
    )
    session.flush()
    return get_policy_set(session, actor, name), created


def reapply_policy_set(
    session: Session, actor: Actor, name: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """Give the set's current targets to every open ticket of the municipalities using it.

    Each ticket keeps its history: time already counted stays counted; only the
    targets (and the calendars) change. Warnings or breaches already recorded
    stay recorded.
    """
    actor.require(Role.ADMIN)
    now = now or utcnow()
    get_policy_set(session, actor, name)
    stmt = (
        sa.select(Ticket)
        .join(Municipality, col(Municipality.number) == col(Ticket.municipality_number))
        .where(col(Ticket.status).notin_([s.value for s in FINAL_STATUSES]))
    )
    if name == DEFAULT_SET:
        # Municipalities whose own set is gone fall back to default too.
        known = sa.select(col(SlaPolicySet.name))
        stmt = stmt.where(
            sa.or_(
                col(Municipality.sla_policy_set) == name,
                col(Municipality.sla_policy_set).notin_(known),
            )
        )
    else:
        stmt = stmt.where(col(Municipality.sla_policy_set) == name)
    tickets = list(session.scalars(stmt.order_by(col(Ticket.id))))
    count = 0
    for start in range(0, len(tickets), 500):
        batch = tickets[start : start + 500]
        rows = {
            row.ticket_id: row
            for row in session.scalars(
                sa.select(TicketSla).where(col(TicketSla.ticket_id).in_([t.id for t in batch]))
            )
        }
        for ticket, (set_name, policy) in zip(batch, policy_snapshots(session, batch), strict=True):
            row = rows.get(saved_id(ticket))
            if row is not None:
                row.policy_set = set_name
                row.policy = policy
        session.flush()
        apply_many(session, batch, now)
        count += len(batch)
    session.add(
        SlaPolicyChange(
            set_name=name,
            at=now,
            actor_id=actor.user_id,
            action="reapplied",
            tickets_affected=count,
        )
    )
    session.flush()
    return {"set": name, "tickets_reapplied": count}


def list_policy_changes(
    session: Session,
    actor: Actor,
    name: str,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[SlaPolicyChange]:
    """A page of a set's recorded changes, newest first."""
    actor.require(Role.ADMIN, Role.AGENT)
    stmt = sa.select(SlaPolicyChange).where(col(SlaPolicyChange.set_name) == name)
    return paginate(
        session, stmt, [SlaPolicyChange.at, SlaPolicyChange.id], limit=limit, cursor=cursor
    )


def policy_set_exists(session: Session, name: str) -> bool:
    return session.get(SlaPolicySet, name) is not None


def _check_policies(
    session: Session, policies: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    seen: dict[int, int] = {}
    clocks = load_clocks(session)
    calendars = set(clocks)
    for i, item in enumerate(policies):
        priority = item["priority"]
        if priority in seen:
            errors[f"policies.{i}.priority"] = [f"Priority {priority} is given twice."]
        seen[priority] = i
        for field in ("response_minutes", "resolution_minutes"):
            if item[field] <= 0:
                errors[f"policies.{i}.{field}"] = ["Must be a positive number of minutes."]
        if item["calendar"] not in calendars:
            errors[f"policies.{i}.calendar"] = [
                f"Unknown calendar {item['calendar']!r}; known: {', '.join(sorted(calendars))}."
            ]
            continue
        # A target the calendar cannot reach would make every new ticket of this
        # priority fail (found by the security helper): refuse it here instead.
        for field in ("response_minutes", "resolution_minutes"):
            try:
                clocks[item["calendar"]].add_minutes(now, item[field])
            except (ClockError, OverflowError, ValueError):
                errors[f"policies.{i}.{field}"] = [
                    f"The calendar {item['calendar']!r} cannot reach this target "
                    f"within {MAX_YEARS_AHEAD} years."
                ]
    missing = [p for p in PRIORITIES if p not in seen]
    if missing:
        errors.setdefault("policies", []).append(
            "Give all four priorities; missing: " + ", ".join(map(str, missing)) + "."
        )
    if errors:
        raise ValidationFailed(
            errors=errors,
            detail="; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(errors.items())),
        )
    return sorted(
        (
            {
                "priority": item["priority"],
                "response_minutes": item["response_minutes"],
                "resolution_minutes": item["resolution_minutes"],
                "calendar": item["calendar"],
            }
            for item in policies
        ),
        key=lambda p: p["priority"],
    )


def _policies(session: Session, names: list[str]) -> dict[str, list[SlaPolicy]]:
    out: dict[str, list[SlaPolicy]] = {}
    for policy in session.scalars(
        sa.select(SlaPolicy)
        .where(col(SlaPolicy.set_name).in_(names))
        .order_by(col(SlaPolicy.set_name), col(SlaPolicy.priority))
    ):
        out.setdefault(policy.set_name, []).append(policy)
    return out


def _plain(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "priority": policy.priority,
        "response_minutes": policy.response_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "calendar": policy.calendar,
    }


def _present(policy_set: SlaPolicySet, policies: list[SlaPolicy]) -> dict[str, Any]:
    return {
        "name": policy_set.name,
        "version": policy_set.version,
        "updated_at": policy_set.updated_at,
        "policies": [_plain(p) for p in policies],
    }
