"""Use cases for the participants of a basic service in a budget year (default: every member)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.errors import Conflict
from kommune_ikt.core.errors import ValidationFailed as Invalid
from kommune_ikt.core.messages import N_
from service_catalog import allocation, closing
from service_catalog.catalogue import check_year, get_service
from service_catalog.choices import Tier
from service_catalog.models import Municipality, ServiceParticipant


@dataclass
class ParticipantsView:
    service_code: str
    year: int
    municipalities: list[str] = field(default_factory=list)
    # True when no list was named: every member of that year takes part.
    default: bool = True


def get_participants(session: Session, code: str, year: int) -> ParticipantsView:
    check_year(year)
    service = get_service(session, code)
    named = sorted(
        session.scalars(
            sa.select(col(ServiceParticipant.municipality_number)).where(
                col(ServiceParticipant.service_code) == service.code,
                col(ServiceParticipant.year) == year,
            )
        )
    )
    if named:
        return ParticipantsView(service.code, year, named, default=False)
    members = [
        m.number
        for m in session.scalars(sa.select(Municipality).order_by(Municipality.number))
        if any(m.is_member_on(day) for day in allocation.first_days(year))
    ]
    return ParticipantsView(service.code, year, members, default=True)


def set_participants(
    session: Session, actor: Actor, code: str, year: int, numbers: list[str]
) -> ParticipantsView:
    """Name who shares a basic service's cost in ``year`` (catalogue manager, admin)."""
    actor.require(Role.CATALOGUE_MANAGER)
    check_year(year)
    service = get_service(session, code, for_update=True)
    if service.tier != Tier.BASIC:
        raise Conflict(
            N_("%(code)s is a %(tier)s service; only a basic service's cost is shared."),
            errors={"municipalities": [N_("Only basic services have participants.")]},
            params={"code": service.code, "tier": str(service.tier)},
        )
    closing.refuse_closed_year(session, year, "year", N_("changing the participants"))
    wanted = sorted(set(numbers))
    if not wanted:
        raise Invalid("municipalities", N_("Name at least one participating municipality."))
    known = {
        m.number: m
        for m in session.scalars(
            sa.select(Municipality).where(col(Municipality.number).in_(wanted))
        )
    }
    errors = {
        f"municipalities.{n}": [
            f"Unknown municipality {n}."
            if n not in known
            else f"{n} {known[n].name} is not a member in {year}."
        ]
        for n in wanted
        if n not in known or not any(known[n].is_member_on(d) for d in allocation.first_days(year))
    }
    if errors:
        raise Invalid(
            errors=errors,
            detail=N_("Participants must be members in that year: %(fields)s."),
            params={"fields": ", ".join(errors)},
        )
    session.execute(
        sa.delete(ServiceParticipant).where(
            col(ServiceParticipant.service_code) == service.code,
            col(ServiceParticipant.year) == year,
        )
    )
    for number in wanted:
        session.add(
            ServiceParticipant(service_code=service.code, year=year, municipality_number=number)
        )
    session.flush()
    from service_catalog.reports.keys_complete import check_keys_complete

    check_keys_complete(session)
    return ParticipantsView(service.code, year, wanted, default=False)
