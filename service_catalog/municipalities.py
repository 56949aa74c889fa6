"""Use cases for municipalities: join (by number alone), update, leave, list."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kommune_ikt.auth.actor import Actor, Role
from kommune_ikt.errors import Conflict, NotFound, ValidationFailed
from kommune_ikt.types import utcnow
from service_catalog.models import Municipality
from service_catalog.reference import reference_municipalities

OSLO = ZoneInfo("Europe/Oslo")


def today() -> date:
    """Today's date in the collaboration's calendar."""
    return utcnow().astimezone(OSLO).date()


def is_active(municipality: Municipality, on: date | None = None) -> bool:
    return municipality.is_member_on(on or today())


def get_municipality(
    session: Session, actor: Actor, number: str, *, for_update: bool = False
) -> Municipality:
    """Everyone signed in may read municipalities (they are the collaboration's members)."""
    municipality = session.get(Municipality, number, with_for_update=for_update)
    if municipality is None:
        raise NotFound(f"Municipality {number} not found.")
    return municipality


def list_municipalities(
    session: Session, actor: Actor, *, active: bool | None = None
) -> list[Municipality]:
    rows = list(session.scalars(sa.select(Municipality).order_by(Municipality.number)))
    if active is not None:
        rows = [m for m in rows if is_active(m) == active]
    return rows


def add_municipality(session: Session, actor: Actor, data: dict[str, Any]) -> Municipality:
    """Add a member; name and population default to the official reference data."""
    actor.require(Role.ADMIN)
    number = data["number"]
    if session.get(Municipality, number) is not None:
        raise Conflict(f"Municipality {number} exists.", errors={"number": ["Already a member."]})
    reference = reference_municipalities().get(number)
    values: dict[str, Any] = {}
    if reference is not None:
        values = {
            "name": reference.name,
            "country": reference.country,
            "county": reference.county,
            "population": reference.population,
            "population_year": reference.population_year,
        }
    values.update({k: v for k, v in data.items() if v is not None})
    for required in ("name", "population", "population_year"):
        if values.get(required) is None:
            raise ValidationFailed(
                required, f"{number} is not in the reference data; give {required}."
            )
    values.setdefault("joined_on", today())
    _check_dates(values["joined_on"], values.get("left_on"))
    _check_policy_set(session, values.get("sla_policy_set"))
    if "email_domains" in values:
        values["email_domains"] = _check_domains(session, number, values["email_domains"])
    municipality = Municipality(**values)
    session.add(municipality)
    session.flush()
    return municipality


def update_municipality(
    session: Session, actor: Actor, municipality: Municipality, changes: dict[str, Any]
) -> Municipality:
    actor.require(Role.ADMIN)
    joined_on = changes.get("joined_on", municipality.joined_on)
    left_on = changes.get("left_on", municipality.left_on)
    _check_dates(joined_on, left_on)
    _check_policy_set(session, changes.get("sla_policy_set"))
    if changes.get("email_domains") is not None:
        changes = {
            **changes,
            "email_domains": _check_domains(session, municipality.number, changes["email_domains"]),
        }
    for key, value in changes.items():
        setattr(municipality, key, value)
    municipality.updated_at = utcnow()
    session.flush()
    return municipality


def _check_dates(joined_on: date, left_on: date | None) -> None:
    if left_on is not None and left_on <= joined_on:
        raise ValidationFailed("left_on", "Must be after joined_on.")


def _check_domains(session: Session, number: str, domains: list[str]) -> list[str]:
    """Lower-cased, without repeats; a domain belongs to one municipality only (422)."""
    wanted = list(dict.fromkeys(d.strip().lower().rstrip(".") for d in domains))
    for other in session.scalars(sa.select(Municipality).where(Municipality.number != number)):
        taken = sorted(set(wanted) & set(other.email_domains or []))
        if taken:
            raise ValidationFailed(
                "email_domains", f"{', '.join(taken)} belongs to {other.number} {other.name}."
            )
    return wanted


# The SLA tables belong to the servicedesk, which depends on the catalogue (never
# the reverse), so the name is checked with plain SQL rather than its model.
_POLICY_SETS = sa.table("sla_policy_sets", sa.column("name"))


def _check_policy_set(session: Session, name: str | None) -> None:
    if name is None:
        return
    found = session.scalar(sa.select(_POLICY_SETS.c.name).where(_POLICY_SETS.c.name == name))
    if found is None:
        raise ValidationFailed(
            "sla_policy_set", f"Unknown SLA policy set {name!r}; see GET /sla-policies."
        )
