"""Use cases for municipalities: join (by number alone), update, leave, list."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.errors import Conflict, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import utcnow
from service_catalog import closing
from service_catalog.models import Municipality, MunicipalityPopulation
from service_catalog.official_municipalities import reference_municipalities

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
        raise NotFound(N_("Municipality %(number)s not found."), params={"number": number})
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
        raise Conflict(
            N_("Municipality %(number)s exists."),
            errors={"number": [N_("Already a member.")]},
            params={"number": number},
        )
    reference = reference_municipalities().get(number)
    if reference is None:
        raise ValidationFailed(
            "number",
            N_(
                "%(number)s is in neither official list the service ships (SSB's Norwegian "
                "kommunenummer, SCB's Swedish kommunkod)."
            ),
            params={"number": number},
        )
    _check_country(reference.country, data.get("country"))
    values: dict[str, Any] = {
        "name": reference.name,
        "country": reference.country,
        "county": reference.county,
        "population": reference.population,
        "population_year": reference.population_year,
    }
    source = (
        reference.source
        if data.get("population") is None
        else ("given when the municipality was added")
    )
    values.update({k: v for k, v in data.items() if v is not None and k != "country"})
    for required in ("name", "population", "population_year"):
        if values.get(required) is None:
            raise ValidationFailed(
                required,
                N_("%(number)s is not in the reference data; give %(field)s."),
                params={"number": number, "field": required},
            )
    values.setdefault("joined_on", today())
    _check_dates(values["joined_on"], values.get("left_on"))
    _check_policy_set(session, values.get("sla_policy_set"))
    closing.refuse_days_in_closed_year(
        session, values["joined_on"], values.get("left_on"), "joined_on", N_("a member joining")
    )
    if "email_domains" in values:
        values["email_domains"] = _check_domains(session, number, values["email_domains"])
    municipality = Municipality(**values)
    session.add(municipality)
    session.flush()
    _store_population(
        session, number, municipality.population_year, municipality.population, source
    )
    _check_keys_complete(session)
    return municipality


def update_municipality(
    session: Session, actor: Actor, municipality: Municipality, changes: dict[str, Any]
) -> Municipality:
    actor.require(Role.ADMIN)
    joined_on = changes.get("joined_on", municipality.joined_on)
    left_on = changes.get("left_on", municipality.left_on)
    _check_dates(joined_on, left_on)
    _check_policy_set(session, changes.get("sla_policy_set"))
    if "country" in changes:
        _check_country(municipality.country, changes.pop("country"))
    for field, old, new in (
        ("joined_on", municipality.joined_on, joined_on),
        ("left_on", municipality.left_on, left_on),
    ):
        start, end = closing.changed_span(old, new)
        closing.refuse_days_in_closed_year(session, start, end, field, f"changing {field}")
    figure = None
    if "population" in changes or "population_year" in changes:
        figure = (
            changes.get("population_year", municipality.population_year),
            changes.get("population", municipality.population),
        )
    leaving = left_on is not None and left_on != municipality.left_on
    if changes.get("email_domains") is not None:
        changes = {
            **changes,
            "email_domains": _check_domains(session, municipality.number, changes["email_domains"]),
        }
    for key, value in changes.items():
        setattr(municipality, key, value)
    municipality.updated_at = utcnow()
    session.flush()
    if figure is not None:
        year, population = figure
        closing.refuse_population_year(session, municipality.number, year)
        _store_population(session, municipality.number, year, population, "PATCH /municipalities")
        _latest_to_municipality(session, municipality)
    if leaving and left_on is not None:
        # Orders import this module; leaving's consequences live with them.
        from service_catalog.orders import end_membership

        end_membership(session, actor, municipality, left_on)
    if "joined_on" in changes or "left_on" in changes:
        _check_keys_complete(session)
    return municipality


def _check_keys_complete(session: Session) -> None:
    """Refuse a membership that would leave a fixed-shares key in use without a share."""
    from service_catalog.reports.keys_complete import check_keys_complete

    check_keys_complete(session)


# --- populations per year ----------------------------------------------------------


def get_population(session: Session, number: str, year: int) -> MunicipalityPopulation:
    if session.get(Municipality, number) is None:
        raise NotFound(N_("Municipality %(number)s not found."), params={"number": number})
    found = _population_row(session, number, year)
    if found is None:
        raise NotFound(
            N_("Municipality %(number)s has no population figure for %(year)s."),
            params={"number": number, "year": year},
        )
    return found


def list_populations(session: Session, number: str) -> list[MunicipalityPopulation]:
    if session.get(Municipality, number) is None:
        raise NotFound(N_("Municipality %(number)s not found."), params={"number": number})
    return list(
        session.scalars(
            sa.select(MunicipalityPopulation)
            .where(col(MunicipalityPopulation.municipality_number) == number)
            .order_by(col(MunicipalityPopulation.year))
        )
    )


def set_population(
    session: Session, actor: Actor, number: str, year: int, data: dict[str, Any]
) -> MunicipalityPopulation:
    """Record a year's figure (admin); a year a closed budget year used is 409."""
    actor.require(Role.ADMIN)
    municipality = get_municipality(session, actor, number, for_update=True)
    closing.refuse_population_year(session, number, year)
    row = _store_population(session, number, year, data["population"], data.get("source") or "")
    _latest_to_municipality(session, municipality)
    return row


def _population_row(session: Session, number: str, year: int) -> MunicipalityPopulation | None:
    return session.scalar(
        sa.select(MunicipalityPopulation).where(
            col(MunicipalityPopulation.municipality_number) == number,
            col(MunicipalityPopulation.year) == year,
        )
    )


def _store_population(
    session: Session, number: str, year: int, population: int, source: str
) -> MunicipalityPopulation:
    row = _population_row(session, number, year)
    if row is None:
        row = MunicipalityPopulation(municipality_number=number, year=year, population=population)
        session.add(row)
    row.population = population
    row.source = source[:500]
    row.updated_at = utcnow()
    session.flush()
    return row


def _latest_to_municipality(session: Session, municipality: Municipality) -> None:
    """``population``/``population_year`` show the latest figure (kept for compatibility)."""
    latest = session.scalar(
        sa.select(MunicipalityPopulation)
        .where(col(MunicipalityPopulation.municipality_number) == municipality.number)
        .order_by(col(MunicipalityPopulation.year).desc())
        .limit(1)
    )
    if latest is not None:
        municipality.population = latest.population
        municipality.population_year = latest.year
        session.flush()


def _check_country(derived: str, given: str | None) -> None:
    """``country`` follows from the number's official list; a client may only repeat it."""
    if given is not None and given != derived:
        raise ValidationFailed(
            "country",
            N_("The number is in the %(country)s list, so the country is %(country)s."),
            params={"country": derived},
        )


def _check_dates(joined_on: date, left_on: date | None) -> None:
    if left_on is not None and left_on <= joined_on:
        raise ValidationFailed("left_on", N_("Must be after joined_on."))


def _check_domains(session: Session, number: str, domains: list[str]) -> list[str]:
    """Lower-cased, without repeats; a domain belongs to one municipality only (422)."""
    wanted = list(dict.fromkeys(d.strip().lower().rstrip(".") for d in domains))
    for other in session.scalars(sa.select(Municipality).where(col(Municipality.number) != number)):
        taken = sorted(set(wanted) & set(other.email_domains or []))
        if taken:
            raise ValidationFailed(
                "email_domains",
                N_("%(domains)s belongs to %(number)s %(name)s."),
                params={"domains": ", ".join(taken), "number": other.number, "name": other.name},
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
            "sla_policy_set",
            N_("Unknown SLA policy set %(name)r; see GET /sla-policies."),
            params={"name": name},
        )
