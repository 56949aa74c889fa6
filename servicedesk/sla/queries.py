"""Read side of the SLA: one ticket's clocks explained (targets, time used, events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor
from kommune_ikt.core.db import saved_id
from servicedesk.queries import get_ticket
from servicedesk.sla.derive import ClockResult
from servicedesk.sla.models import SlaEvent, TicketSla
from servicedesk.sla.state import apply_many, sla_results


def explain_ticket_sla(
    session: Session, actor: Actor, ticket_id: int, now: datetime
) -> dict[str, Any]:
    """Everything behind a ticket's ``sla``: policy, calendar, time used, what was recorded."""
    ticket = get_ticket(session, actor, ticket_id)
    row = session.get(TicketSla, ticket.id)
    if row is None:
        # A ticket that never went through apply_sla gets its row now.
        (row,) = apply_many(session, [ticket], now)
    result = sla_results(session, [ticket], now)[saved_id(ticket)]
    target = row.policy[str(result.priority)]
    events = session.scalars(
        sa.select(SlaEvent).where(col(SlaEvent.ticket_id) == ticket.id).order_by(col(SlaEvent.at))
    )
    return {
        "ticket_id": ticket.id,
        "policy_set": row.policy_set,
        "priority": result.priority,
        "calendar": target["calendar"],
        "paused": result.paused,
        "responded_at": result.responded_at,
        "resolved_at": result.resolved_at,
        "response": _clock(result.response, target["response_minutes"]),
        "resolution": _clock(result.resolution, target["resolution_minutes"]),
        "events": [
            {"target": e.target, "kind": e.kind, "at": e.at, "recorded_at": e.recorded_at}
            for e in events
        ],
        "computed_at": now,
    }


def _clock(clock: ClockResult, minutes: int) -> dict[str, Any]:
    return {
        "target_minutes": minutes,
        "used_minutes": round(clock.elapsed_seconds / 60, 2),
        "due": clock.due,
        "breached": clock.breached,
        "running": clock.running,
    }
