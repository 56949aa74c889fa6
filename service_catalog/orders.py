"""Use cases for orders of optional services and the subscriptions they create or grow."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.db import saved_id
from kommune_ikt.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import Page
from kommune_ikt.core.types import utcnow
from service_catalog import closing, queries, signals
from service_catalog.catalogue import budget_year, find_service, require_price
from service_catalog.choices import OrderStatus, ServiceStatus, Tier
from service_catalog.models import (
    Municipality,
    Order,
    Subscription,
    SubscriptionChange,
    SubscriptionEdit,
)
from service_catalog.municipalities import is_active, today
from service_catalog.queries import order_visible_to
from service_catalog.workflow import ORDER_TRANSITIONS, check_transition

SUBSCRIPTION_EDITORS = (Role.ORDERER, Role.AGENT)


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
    subscription = _add_to_subscription(session, order, start_on, actor)
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


# --- subscriptions ---------------------------------------------------------------


@dataclass
class SubscriptionView:
    """A subscription with its quantity history (oldest first)."""

    subscription: Subscription
    changes: list[SubscriptionChange]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.subscription, name)


def _changes(session: Session, subscription_id: int | None) -> list[SubscriptionChange]:
    return list(
        session.scalars(
            sa.select(SubscriptionChange)
            .where(col(SubscriptionChange.subscription_id) == subscription_id)
            .order_by(col(SubscriptionChange.effective_on))
        )
    )


def _add_to_subscription(
    session: Session, order: Order, start_on: date, actor: Actor
) -> Subscription:
    """Grow the subscription open on ``start_on`` by the order's quantity, or start one."""
    # Lock the municipality row: two fulfilments of the same service racing
    # with no subscription yet would otherwise start two.
    session.get(Municipality, order.municipality_number, with_for_update=True)
    open_ones = list(
        session.scalars(
            sa.select(Subscription)
            .where(
                col(Subscription.municipality_number) == order.municipality_number,
                col(Subscription.service_code) == order.service_code,
                sa.or_(col(Subscription.end_on).is_(None), col(Subscription.end_on) > start_on),
            )
            .order_by(col(Subscription.start_on))
            .with_for_update()
        )
    )
    later = [s for s in open_ones if s.start_on > start_on]
    if later:
        raise Conflict(
            N_(
                "Subscription %(id)s for %(code)s starts on %(day)s; fulfil on or after "
                "that day, or change that subscription."
            ),
            errors={"start_on": [N_("On or after %(day)s.")]},
            params={"id": later[0].id, "code": order.service_code, "day": later[0].start_on},
        )
    if not open_ones:
        subscription = Subscription(
            municipality_number=order.municipality_number,
            service_code=order.service_code,
            quantity=order.quantity,
            start_on=start_on,
        )
        session.add(subscription)
        session.flush()
        session.add(
            SubscriptionChange(
                subscription_id=saved_id(subscription),
                effective_on=start_on,
                quantity=order.quantity,
                order_id=order.id,
            )
        )
        session.flush()
        _record(
            session, actor, subscription, "quantity", None, order.quantity, start_on, "order",
            order.id,
        )  # fmt: skip
        return subscription
    subscription = open_ones[-1]
    changes = _changes(session, subscription.id)
    in_effect = [c for c in changes if c.effective_on <= start_on]
    before = in_effect[-1].quantity if in_effect else 0
    _record(
        session, actor, subscription, "quantity", before, before + order.quantity, start_on,
        "order", order.id,
    )  # fmt: skip
    if in_effect and in_effect[-1].effective_on == start_on:
        in_effect[-1].quantity += order.quantity
    else:
        base = in_effect[-1].quantity if in_effect else 0
        change = SubscriptionChange(
            subscription_id=saved_id(subscription),
            effective_on=start_on,
            quantity=base + order.quantity,
            order_id=order.id,
        )
        session.add(change)
        changes.append(change)
    for change in changes:
        if change.effective_on > start_on:
            change.quantity += order.quantity
    changes.sort(key=lambda c: c.effective_on)
    subscription.quantity = changes[-1].quantity
    subscription.updated_at = utcnow()
    session.flush()
    return subscription


def list_subscription_views(
    session: Session, actor: Actor, **filters: Any
) -> Page[SubscriptionView]:
    """A page of subscriptions with their quantity histories (two queries)."""
    actor.require(*SUBSCRIPTION_EDITORS)
    page = queries.list_subscriptions(session, actor, **filters)
    history: dict[int | None, list[SubscriptionChange]] = defaultdict(list)
    ids = [s.id for s in page.items]
    if ids:
        for change in session.scalars(
            sa.select(SubscriptionChange)
            .where(col(SubscriptionChange.subscription_id).in_(ids))
            .order_by(col(SubscriptionChange.effective_on))
        ):
            history[change.subscription_id].append(change)
    return Page([SubscriptionView(s, history[s.id]) for s in page.items], page.next_cursor)


def get_subscription(
    session: Session, actor: Actor, subscription_id: int, *, for_update: bool = False
) -> SubscriptionView:
    actor.require(*SUBSCRIPTION_EDITORS)
    subscription = session.get(Subscription, subscription_id, with_for_update=for_update)
    if subscription is None:
        raise NotFound(N_("%(what)s not found."), params={"what": N_("Subscription")})
    actor.ensure_visible(subscription.municipality_number, N_("Subscription"))
    return SubscriptionView(subscription, _changes(session, subscription.id))


def update_subscription(
    session: Session, actor: Actor, view: SubscriptionView, changes: dict[str, Any]
) -> SubscriptionView:
    """Change the quantity from a day on (default today), or set/clear ``end_on``.

    A municipal role's change takes effect today or later (the months already
    billed stay as they were); IT roles may correct history, except in a closed
    budget year. Every change is kept in the edit log with who and when.
    """
    actor.require(*SUBSCRIPTION_EDITORS)
    subscription = view.subscription
    end_on = changes.get("end_on", subscription.end_on)
    if end_on is not None and end_on <= subscription.start_on:
        raise ValidationFailed(
            "end_on",
            N_("Must be after start_on (%(day)s)."),
            params={"day": subscription.start_on},
        )
    now = today()
    if end_on != subscription.end_on:
        start, stop = closing.changed_span(subscription.end_on, end_on)
        if actor.is_municipal and start is not None and start < now:
            raise ValidationFailed(
                "end_on",
                N_(
                    "A change by a municipal role takes effect today (%(today)s) or later; "
                    "ask the IT unit to correct an earlier end."
                ),
                params={"today": now},
            )
        closing.refuse_days_in_closed_year(session, start, stop, "end_on", N_("changing end_on"))
    if "quantity" in changes:
        effective_on = changes.get("effective_on") or max(now, subscription.start_on)
        if effective_on < subscription.start_on:
            raise ValidationFailed(
                "effective_on",
                N_("Must be on or after start_on (%(day)s)."),
                params={"day": subscription.start_on},
            )
        if actor.is_municipal and effective_on < now:
            raise ValidationFailed(
                "effective_on",
                N_(
                    "A change by a municipal role takes effect today (%(today)s) or later; "
                    "months already billed are not rewritten."
                ),
                params={"today": now},
            )
        if end_on is not None and effective_on >= end_on:
            raise ValidationFailed(
                "effective_on", N_("Must be before end_on (%(day)s)."), params={"day": end_on}
            )
        closing.refuse_days_in_closed_year(
            session, effective_on, None, "effective_on", N_("a quantity change from then")
        )
        in_effect = [c for c in view.changes if c.effective_on <= effective_on]
        before = in_effect[-1].quantity if in_effect else None
        _record(
            session, actor, subscription, "quantity", before, changes["quantity"], effective_on,
            "edit",
        )  # fmt: skip
        _set_quantity(session, view, effective_on, changes["quantity"])
    elif changes.get("effective_on") is not None:
        raise ValidationFailed("effective_on", N_("Only used together with quantity."))
    if end_on != subscription.end_on:
        _record(session, actor, subscription, "end_on", subscription.end_on, end_on, None, "edit")
    subscription.end_on = end_on
    subscription.updated_at = utcnow()
    session.flush()
    return SubscriptionView(subscription, _changes(session, subscription.id))


def _record(
    session: Session,
    actor: Actor,
    subscription: Subscription,
    field: str,
    old: Any,
    new: Any,
    effective_on: date | None,
    source: str,
    order_id: int | None = None,
) -> None:
    """Keep one change in the edit log: who, when, old and new."""
    session.add(
        SubscriptionEdit(
            subscription_id=saved_id(subscription),
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            effective_on=effective_on,
            source=source,
            order_id=order_id,
            changed_by=actor.user_id,
        )
    )


def list_edits(session: Session, actor: Actor, subscription_id: int) -> list[SubscriptionEdit]:
    """A subscription's edit log, oldest first (who may read the subscription)."""
    get_subscription(session, actor, subscription_id)
    return list(
        session.scalars(
            sa.select(SubscriptionEdit)
            .where(col(SubscriptionEdit.subscription_id) == subscription_id)
            .order_by(col(SubscriptionEdit.changed_at), col(SubscriptionEdit.id))
        )
    )


def end_membership(
    session: Session, actor: Actor, municipality: Municipality, left_on: date
) -> None:
    """A municipality leaving: its subscriptions end that day and its open orders are cancelled."""
    running = session.scalars(
        sa.select(Subscription)
        .where(
            col(Subscription.municipality_number) == municipality.number,
            sa.or_(col(Subscription.end_on).is_(None), col(Subscription.end_on) > left_on),
        )
        .order_by(col(Subscription.id))
        .with_for_update()
    )
    for subscription in running:
        # One that would only have started later is ended before it starts.
        end_on = max(left_on, subscription.start_on)
        _record(session, actor, subscription, "end_on", subscription.end_on, end_on, None, "left")
        subscription.end_on = end_on
        subscription.updated_at = utcnow()
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


def _set_quantity(session: Session, view: SubscriptionView, on: date, quantity: int) -> None:
    """The quantity from ``on`` onwards: later changes are replaced by this one."""
    for change in view.changes:
        if change.effective_on > on:
            session.delete(change)
    existing = next((c for c in view.changes if c.effective_on == on), None)
    if existing is not None:
        existing.quantity = quantity
    else:
        session.add(
            SubscriptionChange(
                subscription_id=saved_id(view.subscription), effective_on=on, quantity=quantity
            )
        )
    view.subscription.quantity = quantity
    session.flush()
