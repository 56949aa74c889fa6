"""Use cases for subscriptions: started or grown by a fulfilled order, changed by orderers
and the IT unit, ended when a member leaves; every change kept in the edit log."""

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
from kommune_ikt.core.errors import Conflict, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import Page
from kommune_ikt.core.types import utcnow
from service_catalog import closing, queries
from service_catalog.models import (
    Municipality,
    Order,
    Subscription,
    SubscriptionChange,
    SubscriptionEdit,
)
from service_catalog.municipalities import today

SUBSCRIPTION_EDITORS = (Role.ORDERER, Role.AGENT)


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


def add_to_subscription(
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


def end_subscriptions(
    session: Session, actor: Actor, municipality: Municipality, left_on: date
) -> None:
    """A municipality leaving: its subscriptions end that day (in the edit log)."""
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
