"""Outage use cases: record, change and end outages; an unplanned one gets its P1 incident.

The servicedesk files that incident on the ``outage_started`` signal and
resolves it on ``outage_ended`` (servicedesk/signals.py): metrics only sends.

Overlapping outages of one service are refused (422 on ``started_at``), never
merged: two records of the same downtime would count it twice in nobody's
favour, and a silent merge would rewrite what an operator typed. End or
shorten the first one instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.errors import NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import utcnow
from metrics.models import Outage
from service_catalog.models import Municipality, Service
from servicedesk import signals
from servicedesk.models import Ticket


def get_outage(session: Session, actor: Actor, outage_id: int, for_update: bool = False) -> Outage:
    """One outage; a municipal caller sees only those that touch its municipality."""
    outage = session.get(Outage, outage_id, with_for_update=for_update)
    if outage is None or not touches(outage, actor.municipality if actor.is_municipal else None):
        raise NotFound(N_("Outage not found."))
    return outage


def touches(outage: Outage, municipality: str | None) -> bool:
    """Does the outage concern ``municipality`` (None: any)?"""
    return (
        municipality is None
        or outage.municipalities is None
        or (municipality in outage.municipalities)
    )


def create_outage(
    session: Session, actor: Actor, data: dict[str, Any], *, now: datetime | None = None
) -> Outage:
    """Record an outage; an unplanned one links to its P1 incident, opened here if not given."""
    actor.require(Role.OPERATIONS)
    now = now or utcnow()
    service = _lock_service(session, data["service_code"])
    planned = bool(data.get("planned", False))
    started_at: datetime = data["started_at"]
    ended_at: datetime | None = data.get("ended_at")
    if not planned and started_at > now:
        raise ValidationFailed("started_at", N_("An unplanned outage cannot start in the future."))
    _check_times(started_at, ended_at)
    municipalities = _check_municipalities(session, data.get("municipalities"))
    _refuse_overlap(session, service.code, started_at, ended_at)
    outage = Outage(
        service_code=service.code,
        started_at=started_at,
        ended_at=ended_at,
        planned=planned,
        municipalities=municipalities,
        description=data.get("description") or "",
        probe_id=data.get("probe_id"),
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    if data.get("ticket_id") is not None:
        outage.ticket_id = _check_ticket(session, data["ticket_id"]).id
    elif not planned:
        requester = data.get("requester_id") or actor.user_id
        outage.ticket_id = open_incident(session, actor, service, outage, requester, now)
    session.add(outage)
    session.flush()
    return outage


def update_outage(
    session: Session,
    actor: Actor,
    outage: Outage,
    changes: dict[str, Any],
    *,
    now: datetime | None = None,
) -> Outage:
    """Change times, description or municipalities (e.g. set ``ended_at`` to end it)."""
    actor.require(Role.OPERATIONS)
    now = now or utcnow()
    if not changes:
        raise ValidationFailed("body", N_("Give at least one field to change."))
    _lock_service(session, outage.service_code)
    started_at = changes.get("started_at", outage.started_at)
    ended_at = changes.get("ended_at", outage.ended_at)
    if not outage.planned and started_at > now:
        raise ValidationFailed("started_at", N_("An unplanned outage cannot start in the future."))
    _check_times(started_at, ended_at)
    if "municipalities" in changes:
        outage.municipalities = _check_municipalities(session, changes["municipalities"])
    _refuse_overlap(session, outage.service_code, started_at, ended_at, exclude=outage.id)
    outage.started_at, outage.ended_at = started_at, ended_at
    if "description" in changes:
        outage.description = changes["description"] or ""
    outage.updated_at = now
    outage.version += 1
    session.flush()
    return outage


def end_outage(
    session: Session, actor: Actor, outage: Outage, at: datetime, resolution: str
) -> Outage:
    """End an ongoing outage at ``at`` and resolve its incident (used by probe recovery)."""
    outage.ended_at = max(at, outage.started_at + _EPSILON)
    outage.updated_at = at
    outage.version += 1
    if outage.ticket_id is not None:
        signals.outage_ended.send(
            outage.ticket_id, session=session, actor=actor, resolution=resolution, now=at
        )
    session.flush()
    return outage


def open_incident(
    session: Session,
    actor: Actor,
    service: Service,
    outage: Outage,
    requester_id: int | None,
    now: datetime,
) -> int | None:
    """Ask the servicedesk for the P1 incident an unplanned outage is worked under: its
    ticket id (None when no servicedesk listens)."""
    if requester_id is None:
        raise ValidationFailed(
            "ticket_id",
            N_("Give the incident ticket: the system cannot file one in its own name."),
        )
    answers = signals.outage_started.send(
        service.code,
        session=session,
        actor=actor,
        service_name=service.name,
        started_at=outage.started_at,
        municipalities=outage.municipalities,
        description=outage.description,
        requester_id=requester_id,
        now=now,
    )
    return next((ticket_id for _, ticket_id in answers if ticket_id is not None), None)


_EPSILON = timedelta(seconds=1)


def _lock_service(session: Session, code: str) -> Service:
    # The service row serialises outage writers of one service, so two
    # concurrent requests cannot both pass the overlap check.
    service = session.get(Service, code, with_for_update=True)
    if service is None:
        raise ValidationFailed(
            "service_code", N_("Unknown service %(code)s."), params={"code": code}
        )
    return service


def _check_times(started_at: datetime, ended_at: datetime | None) -> None:
    if ended_at is not None and ended_at <= started_at:
        raise ValidationFailed("ended_at", N_("An outage must end after it starts."))


def _check_municipalities(session: Session, numbers: list[str] | None) -> list[str] | None:
    if numbers is None:
        return None
    unique = sorted(set(numbers))
    if not unique:
        raise ValidationFailed("municipalities", N_("Give at least one, or null for all."))
    known = set(
        session.scalars(
            sa.select(col(Municipality.number)).where(col(Municipality.number).in_(unique))
        )
    )
    missing = [n for n in unique if n not in known]
    if missing:
        raise ValidationFailed(
            "municipalities",
            N_("Unknown municipality: %(numbers)s"),
            params={"numbers": ", ".join(missing)},
        )
    return unique


def _refuse_overlap(
    session: Session,
    code: str,
    started_at: datetime,
    ended_at: datetime | None,
    exclude: int | None = None,
) -> None:
    stmt = sa.select(col(Outage.id)).where(
        col(Outage.service_code) == code,
        sa.or_(col(Outage.ended_at).is_(None), col(Outage.ended_at) > started_at),
    )
    if ended_at is not None:
        stmt = stmt.where(col(Outage.started_at) < ended_at)
    if exclude is not None:
        stmt = stmt.where(col(Outage.id) != exclude)
    clash = session.scalar(stmt.order_by(col(Outage.started_at)).limit(1))
    if clash is not None:
        raise ValidationFailed(
            "started_at",
            N_(
                "Overlaps outage %(id)s of %(code)s; overlapping outages are refused, "
                "not merged: end or shorten that one first."
            ),
            params={"id": clash, "code": code},
            conflicting_outage=clash,
        )


def _check_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise ValidationFailed("ticket_id", N_("Unknown ticket %(id)s."), params={"id": ticket_id})
    return ticket
