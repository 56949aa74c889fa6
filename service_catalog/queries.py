"""Read side of the catalogue: lists with filters, tenancy scoping and keyset pagination.

Other domains (servicedesk, metrics) read the catalogue through here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlmodel import col

from kommune_ikt.core import reference_cache
from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.pagination import Page, paginate
from kommune_ikt.core.tenancy import scope_to_actor
from service_catalog.catalogue import ServiceView, budget_year
from service_catalog.models import (
    Municipality,
    Order,
    Service,
    ServicePrice,
    SpecialRequest,
    Subscription,
)


def get_service(session: Session, code: str) -> Service | None:
    """A service by code, or None (for other domains validating a service_code)."""
    return session.get(Service, code)


def prices_of_year(session: Session, codes: list[str], year: int) -> dict[str, ServicePrice]:
    """The given services' prices for one budget year, in one query."""
    if not codes:
        return {}
    rows = session.scalars(
        sa.select(ServicePrice).where(
            col(ServicePrice.service_code).in_(codes), col(ServicePrice.year) == year
        )
    )
    return {p.service_code: p for p in rows}


def list_services(
    session: Session,
    *,
    tier: str | None = None,
    status: str | None = None,
    q: str | None = None,
    category: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Service]:
    """Services by code (ascending: a catalogue reads alphabetically), one page."""
    stmt = sa.select(Service)
    if tier:
        stmt = stmt.where(col(Service.tier) == tier)
    if category:
        stmt = stmt.where(col(Service.category) == category)
    if status:
        stmt = stmt.where(col(Service.status) == status)
    if q:
        words = q.split()
        for word in words:
            stmt = stmt.where(
                sa.or_(
                    col(Service.code).icontains(word, autoescape=True),
                    col(Service.name).icontains(word, autoescape=True),
                    col(Service.description).icontains(word, autoescape=True),
                    col(Service.category).icontains(word, autoescape=True),
                )
            )
    return paginate(
        session,
        stmt,
        [col(Service.code)],
        limit=limit,
        cursor=cursor,
        kinds=[str],
        descending=False,
    )


def list_categories(session: Session, *, status: str | None = None) -> list[str]:
    """The categories services are filed under (of services in ``status``), alphabetically."""
    stmt = sa.select(col(Service.category)).where(col(Service.category) != "").distinct()
    if status:
        stmt = stmt.where(col(Service.status) == status)
    return sorted(session.scalars(stmt))


def service_names(session: Session, codes: list[str]) -> dict[str, str]:
    """``{code: name}`` of the given services, in one query (for lists of orders)."""
    if not codes:
        return {}
    rows = session.execute(
        sa.select(col(Service.code), col(Service.name)).where(col(Service.code).in_(codes))
    )
    return {code: name for code, name in rows}


def municipality_names(session: Session) -> dict[str, str]:
    """``{number: name}`` of every member, past ones too (public facts, for pages that show
    a municipality by name); reused while the reference data is unchanged."""
    return reference_cache.cached(session, "municipality_names", _municipality_names)


def _municipality_names(session: Session) -> dict[str, str]:
    rows = session.execute(sa.select(col(Municipality.number), col(Municipality.name)))
    return {number: name for number, name in rows}


def list_service_views(session: Session, **filters: Any) -> Page[ServiceView]:
    """A page of services, each with the price of the current budget year (two queries)."""
    page = list_services(session, **filters)
    prices = prices_of_year(session, [s.code for s in page.items], budget_year())
    return Page([ServiceView(s, prices.get(s.code)) for s in page.items], page.next_cursor)


# --- orders --------------------------------------------------------------------


def order_visible_to(order: Order, actor: Actor) -> bool:
    """Requesters see the orders they placed, orderers their municipality's, IT all."""
    if not actor.can_see_municipality(order.municipality_number):
        return False
    return actor.role != Role.REQUESTER or order.created_by == actor.user_id


def scope_orders(stmt: Select[Any], actor: Actor) -> Select[Any]:
    stmt = scope_to_actor(stmt, actor, Order.municipality_number)
    if actor.role == Role.REQUESTER:
        stmt = stmt.where(col(Order.created_by) == actor.user_id)
    return stmt


def list_orders(
    session: Session,
    actor: Actor,
    *,
    municipality: str | None = None,
    status: str | None = None,
    service_code: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Order]:
    """Newest first; a municipal caller filtering on another municipality gets 403."""
    municipality = actor.check_municipality_filter(municipality)
    stmt = scope_orders(sa.select(Order), actor)
    if municipality:
        stmt = stmt.where(col(Order.municipality_number) == municipality)
    if status:
        stmt = stmt.where(col(Order.status) == status)
    if service_code:
        stmt = stmt.where(col(Order.service_code) == service_code)
    return paginate(session, stmt, [Order.created_at, Order.id], limit=limit, cursor=cursor)


# --- subscriptions -------------------------------------------------------------


def list_subscriptions(
    session: Session,
    actor: Actor,
    *,
    municipality: str | None = None,
    service_code: str | None = None,
    active_on: date | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Subscription]:
    municipality = actor.check_municipality_filter(municipality)
    stmt = scope_to_actor(sa.select(Subscription), actor, Subscription.municipality_number)
    if municipality:
        stmt = stmt.where(col(Subscription.municipality_number) == municipality)
    if service_code:
        stmt = stmt.where(col(Subscription.service_code) == service_code)
    if active_on is not None:
        stmt = stmt.where(
            col(Subscription.start_on) <= active_on,
            sa.or_(col(Subscription.end_on).is_(None), col(Subscription.end_on) > active_on),
        )
    return paginate(
        session, stmt, [Subscription.created_at, Subscription.id], limit=limit, cursor=cursor
    )


# --- special requests ----------------------------------------------------------


def list_special_requests(
    session: Session,
    actor: Actor,
    *,
    municipality: str | None = None,
    status: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[SpecialRequest]:
    municipality = actor.check_municipality_filter(municipality)
    stmt = scope_to_actor(sa.select(SpecialRequest), actor, SpecialRequest.municipality_number)
    if municipality:
        stmt = stmt.where(col(SpecialRequest.municipality_number) == municipality)
    if status:
        stmt = stmt.where(col(SpecialRequest.status) == status)
    return paginate(
        session, stmt, [SpecialRequest.created_at, SpecialRequest.id], limit=limit, cursor=cursor
    )


def list_portfolio(session: Session, actor: Actor) -> list[SpecialRequest]:
    """The ranked portfolio (rank 1 first); a municipal caller sees its own requests in it."""
    stmt = scope_to_actor(
        sa.select(SpecialRequest).where(col(SpecialRequest.priority_rank).is_not(None)),
        actor,
        col(SpecialRequest.municipality_number),
    )
    return list(session.scalars(stmt.order_by(col(SpecialRequest.priority_rank))))
