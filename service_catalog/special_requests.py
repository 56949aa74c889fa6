"""Use cases for special requests: submit, quote, accept/reject, rank, deliver.

All open requests of all municipalities form one portfolio, ranked 1..n with
no gaps: a new request joins at the end, moving one shifts those between its
old and new place, and a request that leaves (rejected, delivered) lets the
ones behind it move up. Rank changes are serialised (an advisory lock on
PostgreSQL; SQLite's write lock does it there) so two changes never produce
the same rank.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.errors import Conflict, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import CENT, utcnow
from service_catalog import closing
from service_catalog.catalogue import budget_year, find_service, price_for
from service_catalog.choices import (
    PORTFOLIO_STATUSES,
    ServiceStatus,
    SpecialRequestStatus,
    Tier,
)
from service_catalog.models import Service, SpecialRequest
from service_catalog.municipalities import OSLO
from service_catalog.orders import municipality_for
from service_catalog.workflow import SPECIAL_REQUEST_TRANSITIONS, check_transition

PORTFOLIO_LOCK_ID = 0x4B49_5350  # "KISP"
# Statuses a PATCH may move to; the others have their own endpoint and role.
PATCH_TARGETS = {SpecialRequestStatus.IN_PROGRESS, SpecialRequestStatus.DELIVERED}
STATUS_ENDPOINTS = {
    SpecialRequestStatus.QUOTED: "quote",
    SpecialRequestStatus.ACCEPTED: "accept",
    SpecialRequestStatus.REJECTED: "reject",
}
# Statuses in which work (actual hours) can be recorded.
WORK_STATUSES = {
    SpecialRequestStatus.ACCEPTED,
    SpecialRequestStatus.IN_PROGRESS,
    SpecialRequestStatus.DELIVERED,
}


def submit_request(session: Session, actor: Actor, data: dict[str, Any]) -> SpecialRequest:
    """An orderer asks for special work; it joins the portfolio at the end."""
    actor.require(Role.ORDERER)
    municipality = municipality_for(session, actor, data.get("municipality"))
    service = _special_service(session, data.get("service_code"))
    _lock_portfolio(session)
    assert actor.user_id is not None  # an orderer is a user (created_by is required)
    request = SpecialRequest(
        municipality_number=municipality.number,
        service_code=service.code,
        title=data["title"],
        description=data.get("description") or "",
        desired_by=data.get("desired_by"),
        created_by=actor.user_id,
        priority_rank=_portfolio_size(session) + 1,
    )
    session.add(request)
    session.flush()
    return request


def get_request(
    session: Session, actor: Actor, request_id: int, *, for_update: bool = False
) -> SpecialRequest:
    """One request: orderers of its municipality and the IT roles (another's is 404)."""
    actor.require(Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS)
    request = session.get(SpecialRequest, request_id, with_for_update=for_update)
    if request is None:
        raise NotFound(N_("%(what)s not found."), params={"what": N_("Special request")})
    actor.ensure_visible(request.municipality_number, N_("Special request"))
    return request


def quote_request(
    session: Session, actor: Actor, request_id: int, data: dict[str, Any]
) -> SpecialRequest:
    """Quote ``hours`` (× the service's hourly rate this year) or a fixed ``amount``."""
    actor.require(Role.CATALOGUE_MANAGER)
    request = get_request(session, actor, request_id, for_update=True)
    hours, amount = data.get("hours"), data.get("amount")
    if (hours is None) == (amount is None):
        message = N_("Give either hours or amount.")
        raise ValidationFailed(errors={"hours": [message], "amount": [message]}, detail=message)
    if hours is not None and hours <= 0:
        raise ValidationFailed("hours", N_("Must be more than 0."))
    _check(request, SpecialRequestStatus.QUOTED)
    service = (
        _special_service(session, data["service_code"])
        if data.get("service_code")
        else find_service(session, request.service_code)
    )
    year = budget_year()
    price = price_for(session, service.code, year)
    rate = price.hourly_rate if price is not None else None
    if hours is not None:
        if rate is None:
            raise ValidationFailed(
                "hours",
                N_(
                    "Service %(code)s has no price for budget year %(year)s, so hours cannot "
                    "be priced; set its hourly rate or quote an amount."
                ),
                params={"code": service.code, "year": year},
            )
        amount = (hours * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    now = utcnow()
    request.service_code = service.code
    request.quote_hours = hours
    request.quote_hourly_rate = rate
    request.quote_amount = amount
    request.quoted_by = actor.user_id
    request.quoted_at = now
    request.status = SpecialRequestStatus.QUOTED.value
    request.updated_at = now
    session.flush()
    return request


def accept_request(session: Session, actor: Actor, request_id: int) -> SpecialRequest:
    """The orderer accepts the quote: the work is ordered at that price."""
    actor.require(Role.ORDERER)
    request = get_request(session, actor, request_id, for_update=True)
    _check(request, SpecialRequestStatus.ACCEPTED)
    now = utcnow()
    closing.refuse_closed_year(
        session, now.astimezone(OSLO).year, "status", N_("accepting a quote (charged that year)")
    )
    request.status = SpecialRequestStatus.ACCEPTED.value
    request.decided_by = actor.user_id
    request.accepted_at = now
    request.updated_at = now
    session.flush()
    return request


def reject_request(session: Session, actor: Actor, request_id: int) -> SpecialRequest:
    """The orderer declines the quote; the request leaves the portfolio."""
    actor.require(Role.ORDERER)
    request = get_request(session, actor, request_id, for_update=True)
    _check(request, SpecialRequestStatus.REJECTED)
    now = utcnow()
    _lock_portfolio(session)
    _leave_portfolio(session, request)
    request.status = SpecialRequestStatus.REJECTED.value
    request.decided_by = actor.user_id
    request.rejected_at = now
    request.updated_at = now
    session.flush()
    return request


def update_request(
    session: Session, actor: Actor, request: SpecialRequest, changes: dict[str, Any]
) -> SpecialRequest:
    """Rank, start, record hours on and deliver a request (catalogue manager, admin)."""
    actor.require(Role.CATALOGUE_MANAGER)
    status = SpecialRequestStatus(request.status)
    target = SpecialRequestStatus(changes["status"]) if changes.get("status") else None
    if target is not None and target != status:
        _check(request, target)
        if target not in PATCH_TARGETS:
            endpoint = f"POST /special-requests/{request.id}/{STATUS_ENDPOINTS[target]}"
            raise Conflict(
                N_("A request becomes %(status)s through %(endpoint)s, not PATCH."),
                errors={"status": [N_("Use %(endpoint)s.")]},
                params={"status": target.value, "endpoint": endpoint},
            )
    final = target or status
    charge_changes = "actual_hours" in changes or (
        target == SpecialRequestStatus.DELIVERED and target != status
    )
    if charge_changes and request.accepted_at is not None:
        closing.refuse_closed_year(
            session,
            request.accepted_at.astimezone(OSLO).year,
            "actual_hours" if "actual_hours" in changes else "status",
            f"changing what special request {request.id} is charged",
        )
    if "actual_hours" in changes:
        if final not in WORK_STATUSES:
            raise Conflict(
                N_("Actual hours are recorded once work is accepted; the request is %(status)s."),
                errors={"actual_hours": [N_("Not before the quote is accepted.")]},
                params={"status": final.value},
            )
        request.actual_hours = changes["actual_hours"]
    if final == SpecialRequestStatus.DELIVERED and request.actual_hours is None:
        raise ValidationFailed("actual_hours", N_("Needed to deliver (the hours actually spent)."))
    now = utcnow()
    if changes.get("priority_rank") is not None:
        _lock_portfolio(session)
        _move_in_portfolio(session, request, changes["priority_rank"])
    if target is not None and target != status:
        request.status = target.value
        if target == SpecialRequestStatus.IN_PROGRESS:
            request.started_at = now
        if target == SpecialRequestStatus.DELIVERED:
            request.delivered_at = now
            _lock_portfolio(session)
            _leave_portfolio(session, request)
    request.updated_at = now
    session.flush()
    return request


# --- helpers -----------------------------------------------------------------------


def _check(request: SpecialRequest, target: SpecialRequestStatus) -> None:
    check_transition(
        SPECIAL_REQUEST_TRANSITIONS,
        SpecialRequestStatus(request.status),
        target,
        N_("Special request"),
        request.id,
    )


def _special_service(session: Session, code: str | None) -> Service:
    """The named special service, or the only active one (e.g. the consultant hour)."""
    if code is not None:
        service = find_service(session, code)
        if service.tier != Tier.SPECIAL:
            raise ValidationFailed(
                "service_code",
                N_("%(code)s is a %(tier)s service, not a special one."),
                params={"code": code, "tier": str(service.tier)},
            )
        if service.status == ServiceStatus.RETIRED:
            raise ValidationFailed(
                "service_code", N_("%(code)s is retired."), params={"code": code}
            )
        return service
    candidates = list(
        session.scalars(
            sa.select(Service)
            .where(col(Service.tier) == Tier.SPECIAL, col(Service.status) == ServiceStatus.ACTIVE)
            .order_by(col(Service.code))
            .limit(2)
        )
    )
    if len(candidates) != 1:
        raise ValidationFailed(
            "service_code",
            N_("No active special service to price the work; the IT unit must add one.")
            if not candidates
            else N_("Several special services exist; name the one whose hourly rate applies."),
        )
    return candidates[0]


def _lock_portfolio(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(PORTFOLIO_LOCK_ID)))


def _portfolio_size(session: Session) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count()).where(col(SpecialRequest.priority_rank).is_not(None))
        )
        or 0
    )


def _leave_portfolio(session: Session, request: SpecialRequest) -> None:
    old = request.priority_rank
    if old is None:
        return
    request.priority_rank = None
    session.flush()
    session.execute(
        sa.update(SpecialRequest)
        .where(col(SpecialRequest.priority_rank) > old)
        .values(priority_rank=col(SpecialRequest.priority_rank) - 1)
    )


def _move_in_portfolio(session: Session, request: SpecialRequest, new: int) -> None:
    old = request.priority_rank
    if old is None or SpecialRequestStatus(request.status) not in PORTFOLIO_STATUSES:
        raise Conflict(
            N_("Special request %(id)s is %(status)s and no longer in the portfolio."),
            errors={"priority_rank": [N_("Only open requests are ranked.")]},
            params={"id": request.id, "status": str(request.status)},
        )
    size = _portfolio_size(session)
    if not 1 <= new <= size:
        raise ValidationFailed(
            "priority_rank", N_("Must be between 1 and %(size)s."), params={"size": size}
        )
    if new == old:
        return
    others = sa.update(SpecialRequest).where(col(SpecialRequest.id) != request.id)
    if new < old:
        session.execute(
            others.where(
                col(SpecialRequest.priority_rank) >= new, col(SpecialRequest.priority_rank) < old
            ).values(priority_rank=col(SpecialRequest.priority_rank) + 1)
        )
    else:
        session.execute(
            others.where(
                col(SpecialRequest.priority_rank) > old, col(SpecialRequest.priority_rank) <= new
            ).values(priority_rank=col(SpecialRequest.priority_rank) - 1)
        )
    request.priority_rank = new
