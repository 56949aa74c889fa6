"""Use cases for orders of optional services: place, approve, reject, cancel and fulfil (which
starts or grows a subscription), and the orders a leaving member leaves behind."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import utcnow
from service_catalog import closing, signals, subscriptions
from service_catalog.catalogue import budget_year, find_service, require_price
from service_catalog.choices import OrderStatus, ServiceStatus, Tier
from service_catalog.models import Municipality, Order
from service_catalog.municipalities import is_active
from service_catalog.queries import order_visible_to
from service_catalog.workflow import ORDER_TRANSITIONS, check_transition


def municipality_for(session: Session, actor: Actor, number: str | None) -> Municipality:
    """The municipality a new order or request is for: the caller's own, or named by IT."""
    if actor.is_municipal:
        if number is not None and number != actor.municipality:
            raise Forbidden(N_("You may only act for your own municipality."))
        number = actor.municipality
    elif number is None:
        raise ValidationFailed("municipality", N_("IT roles must name the municipality."))
    municipality = session.get(Municipality, number)
    if municipality is None:
        raise ValidationFailed(
            "municipality", N_("Unknown municipality %(number)s."), params={"number": number}
        )
    if not is_active(municipality):
        raise ValidationFailed(
            "municipality",
            N_("%(number)s %(name)s is not a member of the collaboration."),
            params={"number": number, "name": municipality.name},
        )
    return municipality


def place_order(session: Session, actor: Actor, data: dict[str, Any]) -> Order:
    """Order an optional service; an orderer's own order is approved at once."""
    service = find_service(session, data["service_code"])
    municipality = municipality_for(session, actor, data.get("municipality"))
    if service.tier == Tier.BASIC:
        raise Conflict(
            N_(
                "%(code)s is a basic service: every member already has it, paid through "
                "the allocation key, so there is nothing to order."
            ),
            errors={"service_code": [N_("Basic services are included; they cannot be ordered.")]},
            params={"code": service.code},
        )
    if service.tier == Tier.SPECIAL:
        raise Conflict(
            N_(
                "%(code)s is a special service: ask for it with POST /special-requests, "
                "which the IT unit quotes first."
            ),
            errors={"service_code": [N_("Special services go through special requests.")]},
            params={"code": service.code},
        )
    if service.status != ServiceStatus.ACTIVE:
        retired = service.status == ServiceStatus.RETIRED
        raise Conflict(
            N_("%(code)s is retired and can no longer be ordered.")
            if retired
            else N_("%(code)s is planned and cannot yet be ordered."),
            errors={"service_code": [N_("The service is %(status)s.")]},
            params={"code": service.code, "status": str(service.status)},
        )
    require_price(session, service, budget_year(), "service_code")
    assert actor.user_id is not None  # an orderer is a user (created_by is required)
    order = Order(
        municipality_number=municipality.number,
        service_code=service.code,
        quantity=data["quantity"],
        note=data.get("note") or "",
        created_by=actor.user_id,
    )
    own_approval = actor.role == Role.ORDERER
    if own_approval:
        order.status = OrderStatus.APPROVED.value
        order.approved_by = actor.user_id
        order.approved_at = order.created_at
    session.add(order)
    session.flush()
    if own_approval:
        signals.order_approved.send(order, session=session, actor=actor)
    return order


def get_order(session: Session, actor: Actor, order_id: int, *, for_update: bool = False) -> Order:
    """One order; another municipality's (or, for a requester, another person's) is 404."""
    order = session.get(Order, order_id, with_for_update=for_update)
    if order is None or not order_visible_to(order, actor):
        raise NotFound(N_("Order not found."))
    return order


def approve_order(session: Session, actor: Actor, order_id: int) -> Order:
    """The municipality's orderer approves; the row lock makes one of two approvals win."""
    actor.require(Role.ORDERER)
    order = get_order(session, actor, order_id, for_update=True)
    _transition(order, OrderStatus.APPROVED)
    order.approved_by = actor.user_id
    order.approved_at = order.updated_at
    session.flush()
    signals.order_approved.send(order, session=session, actor=actor)
    return order


def reject_order(session: Session, actor: Actor, order_id: int, reason: str = "") -> Order:
    actor.require(Role.ORDERER)
    order = get_order(session, actor, order_id, for_update=True)
    _transition(order, OrderStatus.REJECTED)
    order.rejected_by = actor.user_id
    order.rejected_at = order.updated_at
    order.reason = reason
    session.flush()
    return order


def cancel_order(session: Session, actor: Actor, order_id: int, reason: str = "") -> Order:
    """Withdraw an order before fulfilment: its creator, its orderer, an agent or admin."""
    order = get_order(session, actor, order_id, for_update=True)
    if order.created_by != actor.user_id:
        actor.require(Role.ORDERER, Role.AGENT)
    _transition(order, OrderStatus.CANCELLED)
    order.cancelled_by = actor.user_id
    order.cancelled_at = order.updated_at
    order.reason = reason
    session.flush()
    signals.order_cancelled.send(order, session=session, actor=actor)
    return order


def fulfil_order(session: Session, actor: Actor, order_id: int, start_on: date) -> Order:
    """An agent delivers an approved order: the subscription starts or grows on ``start_on``."""
    actor.require(Role.AGENT)
    order = get_order(session, actor, order_id, for_update=True)
    check_transition(
        ORDER_TRANSITIONS, OrderStatus(order.status), OrderStatus.FULFILLED, N_("Order"), order.id
    )
    service = find_service(session, order.service_code)
    require_price(session, service, start_on.year, "start_on")
    municipality = session.get(Municipality, order.municipality_number)
    assert municipality is not None
    if not municipality.is_member_on(start_on):
        raise ValidationFailed(
            "start_on",
            N_("%(number)s %(name)s is not a member on %(day)s."),
            params={"number": municipality.number, "name": municipality.name, "day": start_on},
        )
    closing.refuse_days_in_closed_year(
        session, start_on, None, "start_on", N_("a subscription starting or growing then")
    )
    subscription = subscriptions.add_to_subscription(session, order, start_on, actor)
    now = utcnow()
    order.status = OrderStatus.FULFILLED.value
    order.fulfilled_by = actor.user_id
    order.fulfilled_at = now
    order.updated_at = now
    order.start_on = start_on
    order.subscription_id = subscription.id
    session.flush()
    signals.order_fulfilled.send(order, session=session, actor=actor)
    return order


def _transition(order: Order, target: OrderStatus) -> None:
    check_transition(ORDER_TRANSITIONS, OrderStatus(order.status), target, N_("Order"), order.id)
    order.status = target.value
    order.updated_at = utcnow()


def end_membership(
    session: Session, actor: Actor, municipality: Municipality, left_on: date
) -> None:
    """A municipality leaving: its subscriptions end that day and its open orders are cancelled."""
    subscriptions.end_subscriptions(session, actor, municipality, left_on)
    open_orders = session.scalars(
        sa.select(Order)
        .where(
            col(Order.municipality_number) == municipality.number,
            col(Order.status).in_((OrderStatus.PENDING_APPROVAL.value, OrderStatus.APPROVED.value)),
        )
        .order_by(col(Order.id))
        .with_for_update()
    )
    for order in open_orders:
        _transition(order, OrderStatus.CANCELLED)
        order.cancelled_by = actor.user_id
        order.cancelled_at = order.updated_at
        order.reason = (
            f"{municipality.number} {municipality.name} leaves the collaboration on {left_on}."
        )
        session.flush()
        signals.order_cancelled.send(order, session=session, actor=actor)
    session.flush()
