"""Order fulfilment tickets: opened when the catalogue approves an order, resolved when an
agent fulfils it, cancelled with the order. Connected to the catalogue's signals at start-up."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kommune_ikt.core.auth.actor import SYSTEM, Actor
from service_catalog import signals
from service_catalog.models import Order
from servicedesk import catalogue, filing, services
from servicedesk.choices import OPEN_STATUSES, TicketStatus, TicketType
from servicedesk.models import Ticket

# A fulfilment affects the ordering municipality only and is planned work.
ORDER_IMPACT = 3
ORDER_URGENCY = 2


def open_order_ticket(session: Session, actor: Actor, order: Order) -> Ticket:
    """A ``service_request`` for the order, filed in the orderer's name, linked both ways."""
    if order.ticket_id is not None:
        existing = session.get(Ticket, order.ticket_id)
        if existing is not None:
            return existing
    service = catalogue.check_service(session, order.service_code)
    note = (order.note or "").strip()
    description = f"Bestilling nr. {order.id}: {order.quantity} × {service.name} ({service.code})."
    if note:
        description += f"\n\n{note}"
    ticket = filing.file_ticket(
        session,
        actor,
        filing.NewTicket(
            type=TicketType.SERVICE_REQUEST,
            title=f"Bestilling: {service.name}"[:200],
            description=description,
            municipality=order.municipality_number,
            requester_id=order.created_by,
            impact=ORDER_IMPACT,
            urgency=ORDER_URGENCY,
            service_code=service.code,
            category=service.category or None,
            source="order",
        ),
    ).ticket
    order.ticket_id = ticket.id
    return ticket


def resolve_order_ticket(session: Session, actor: Actor, order: Order) -> Ticket | None:
    """Resolve the order's ticket through the normal life cycle (history and SLA included)."""
    ticket = _open_ticket(session, order)
    if ticket is None:
        return None
    by = actor if actor.user_id is not None else SYSTEM
    if ticket.status in (TicketStatus.NEW, TicketStatus.ASSIGNED):
        services.update_ticket(session, by, ticket, {"status": TicketStatus.IN_PROGRESS.value})
    start = f" med oppstart {order.start_on.isoformat()}" if order.start_on else ""
    return services.update_ticket(
        session,
        by,
        ticket,
        {
            "status": TicketStatus.RESOLVED.value,
            "resolution": f"Bestilling nr. {order.id} er levert{start}.",
        },
    )


def cancel_order_ticket(session: Session, actor: Actor, order: Order) -> Ticket | None:
    ticket = _open_ticket(session, order)
    if ticket is None:
        return None
    return services.update_ticket(session, SYSTEM, ticket, {"status": TicketStatus.CANCELLED.value})


def _open_ticket(session: Session, order: Order) -> Ticket | None:
    if order.ticket_id is None:
        return None
    ticket = session.get(Ticket, order.ticket_id, with_for_update=True)
    if ticket is None or ticket.status not in OPEN_STATUSES:
        return None
    return ticket


def _on_approved(order: Order, *, session: Session, actor: Actor, **_: Any) -> None:
    open_order_ticket(session, actor, order)


def _on_fulfilled(order: Order, *, session: Session, actor: Actor, **_: Any) -> None:
    resolve_order_ticket(session, actor, order)


def _on_cancelled(order: Order, *, session: Session, actor: Actor, **_: Any) -> None:
    cancel_order_ticket(session, actor, order)


def connect_signals() -> None:
    """Subscribe to the catalogue's order signals (idempotent: blinker keeps one per receiver)."""
    signals.order_approved.connect(_on_approved, weak=False)
    signals.order_fulfilled.connect(_on_fulfilled, weak=False)
    signals.order_cancelled.connect(_on_cancelled, weak=False)
