"""SLA badges on the desk: which target a ticket's clock follows, the business time left in
its calendar, and whether that is fine, a warning, urgent, breached or standing still."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from portal.desk.filters import OPEN
from servicedesk.choices import TicketStatus
from servicedesk.sla.clock import BusinessClock
from servicedesk.sla.models import TicketSla
from servicedesk.sla.state import load_clocks, policy_snapshots

# Business time left under which a badge warns, and under which it is urgent.
WARNING_SECONDS = 60 * 60
URGENT_SECONDS = 30 * 60


@dataclass(frozen=True)
class Badge:
    """What an SLA badge shows: a state (ok, warning, urgent, breached, paused, stopped,
    none), which target, the business time left (negative once breached) and why the
    clock stands still (``pending``, ``closed``: outside the calendar's hours)."""

    state: str
    target: str | None = None
    seconds: int | None = None
    pause: str | None = None
    due: datetime | None = None


def badge(status: str, sla: Mapping[str, Any], clock: BusinessClock | None, now: datetime) -> Badge:
    """The badge of one ticket from its ``sla`` view (``queries.present``) at ``now``.

    It follows the first response until there is one, then the resolution; a broken
    target shows first. Time counts in the business hours of the ticket's calendar."""
    if status not in OPEN:
        return Badge("stopped")
    if sla.get("response_breached"):
        target = "response"
    elif sla.get("resolution_breached"):
        target = "resolution"
    else:
        target = "response" if sla.get("responded_at") is None else "resolution"
    due = sla.get(f"{target}_due")
    if due is None:
        return Badge("none")
    breached = bool(sla.get(f"{target}_breached")) or due < now
    if clock is None:
        seconds = int((due - now).total_seconds())
    elif breached:
        seconds = -int(clock.seconds_between(due, now))
    else:
        seconds = int(clock.seconds_between(now, due))
    pause = None
    if status == TicketStatus.PENDING.value:
        pause = "pending"
    elif clock is not None and not clock.is_open(now):
        pause = "closed"
    if breached:
        state = "breached"
    elif pause == "pending":
        state = "paused"
    elif seconds < URGENT_SECONDS:
        state = "urgent"
    elif seconds < WARNING_SECONDS:
        state = "warning"
    else:
        state = "ok"
    return Badge(state, target, seconds, pause, due)


def badges(
    session: Session, views: Sequence[Any], calendars: Mapping[int, str | None], now: datetime
) -> dict[int, Badge]:
    """Badges of presented tickets; ``calendars`` by ticket id (None: ask the policy)."""
    clocks = load_clocks(session)
    missing = [v for v in views if not calendars.get(v.id)]
    found = dict(calendars)
    for view, (_set, policy) in zip(missing, policy_snapshots(session, missing), strict=True):
        found[view.id] = policy[str(view.priority)]["calendar"]
    return {v.id: badge(v.status, v.sla, clocks.get(found[v.id] or ""), now) for v in views}


def calendar_of(session: Session, ticket_id: int) -> str | None:
    return session.scalar(
        sa.select(col(TicketSla.calendar)).where(col(TicketSla.ticket_id) == ticket_id)
    )
