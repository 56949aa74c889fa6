"""The incidents of unplanned outages: filed and resolved on metrics' signals (signals.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor
from kommune_ikt.core.errors import ValidationFailed
from kommune_ikt.core.messages import N_
from service_catalog.models import Municipality
from servicedesk import filing, services, signals
from servicedesk.choices import FINAL_STATUSES, TicketStatus, TicketType
from servicedesk.models import Ticket


def _on_outage_started(
    service_code: str,
    *,
    session: Session,
    actor: Actor,
    service_name: str,
    started_at: datetime,
    municipalities: list[str] | None,
    description: str,
    requester_id: int,
    now: datetime,
    **_: Any,
) -> int:
    """The P1 incident (impact 1, urgency 1) an unplanned outage is worked under: its id."""
    scope = "all municipalities" if municipalities is None else ", ".join(sorted(municipalities))
    new = filing.NewTicket(
        type=TicketType.INCIDENT,
        title=f"Outage: {service_name}"[:200],
        description=(
            f"Unplanned outage of {service_code} ({service_name}) since "
            f"{started_at.isoformat()}, affecting {scope}.\n\n{description}"
        ).strip(),
        municipality=_municipality(session, municipalities),
        requester_id=requester_id,
        impact=1,
        urgency=1,
        service_code=service_code,
        category="outage",
        source="outage",
    )
    ticket = filing.file_ticket(session, actor, new, now=now).ticket
    assert ticket.id is not None
    return ticket.id


def _on_outage_ended(
    ticket_id: int, *, session: Session, actor: Actor, resolution: str, now: datetime, **_: Any
) -> None:
    """Resolve the outage's incident unless someone already moved it on."""
    ticket = session.get(Ticket, ticket_id, with_for_update=True)
    if ticket is None or ticket.status in {TicketStatus.RESOLVED, *FINAL_STATUSES}:
        return
    if ticket.status in {TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.PENDING}:
        services.update_ticket(
            session, actor, ticket, {"status": TicketStatus.IN_PROGRESS.value}, now=now
        )
    services.update_ticket(
        session,
        actor,
        ticket,
        {"status": TicketStatus.RESOLVED.value, "resolution": resolution},
        now=now,
    )


def _municipality(session: Session, numbers: list[str] | None) -> str:
    """Whose ticket the incident is: the first affected municipality, or for "all"
    the longest-standing member (the host of the collaboration, as a rule)."""
    if numbers:
        return numbers[0]
    first = session.scalar(
        sa.select(col(Municipality.number))
        .where(col(Municipality.left_on).is_(None))
        .order_by(col(Municipality.joined_on), col(Municipality.number))
        .limit(1)
    )
    if first is None:
        raise ValidationFailed(
            "municipalities", N_("No member municipality to file the incident for.")
        )
    return first


def connect_signals() -> None:
    """Subscribe to the outage signals (idempotent: blinker keeps one per receiver)."""
    signals.outage_started.connect(_on_outage_started, weak=False)
    signals.outage_ended.connect(_on_outage_ended, weak=False)
