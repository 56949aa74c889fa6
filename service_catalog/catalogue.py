"""Use cases for catalogue services and their prices, versioned by budget year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.errors import Conflict, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import utcnow
from service_catalog import closing
from service_catalog.choices import PRICE_MODEL_OF_TIER, PriceModel, ServiceStatus, Tier
from service_catalog.models import AllocationKey, Service, ServicePrice
from service_catalog.municipalities import today
from service_catalog.workflow import SERVICE_TRANSITIONS, check_transition

# The fields each price model needs; the others must be left out.
REQUIRED_PRICE_FIELDS = {
    PriceModel.ALLOCATION: ("annual_cost",),
    PriceModel.UNIT: ("unit", "unit_price", "period"),
    PriceModel.QUOTE: ("hourly_rate",),
}
PRICE_FIELDS = {
    PriceModel.ALLOCATION: ("annual_cost", "allocation_key"),
    PriceModel.UNIT: ("unit", "unit_price", "period", "setup_fee"),
    PriceModel.QUOTE: ("hourly_rate",),
}
ALL_PRICE_FIELDS = {f for fields in PRICE_FIELDS.values() for f in fields}
MANAGERS = (Role.CATALOGUE_MANAGER,)
MIN_YEAR, MAX_YEAR = 2000, 2100


def budget_year(on: date | None = None) -> int:
    """The budget year a day belongs to (the calendar year, in Norway's time zone)."""
    return (on or today()).year


@dataclass
class ServiceView:
    """A service together with the price shown beside it (the current year's)."""

    service: Service
    price: ServicePrice | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.service, name)


def get_service(session: Session, code: str, *, for_update: bool = False) -> Service:
    service = session.get(Service, code, with_for_update=for_update)
    if service is None:
        raise NotFound(N_("Service %(code)s not found."), params={"code": code})
    return service


def find_service(session: Session, code: str, field: str = "service_code") -> Service:
    """A service named in a request body: unknown is a 422 naming the field."""
    service = session.get(Service, code)
    if service is None:
        raise ValidationFailed(field, N_("Unknown service %(code)s."), params={"code": code})
    return service


def price_for(session: Session, code: str, year: int) -> ServicePrice | None:
    return session.scalar(
        sa.select(ServicePrice).where(
            col(ServicePrice.service_code) == code, col(ServicePrice.year) == year
        )
    )


def require_price(session: Session, service: Service, year: int, field: str) -> ServicePrice:
    """The service's price for ``year``, or a 422 naming ``field``."""
    price = price_for(session, service.code, year)
    if price is None:
        raise ValidationFailed(
            field,
            N_("Service %(code)s has no price for budget year %(year)s."),
            params={"code": service.code, "year": year},
        )
    return price


def view_service(session: Session, service: Service, year: int | None = None) -> ServiceView:
    return ServiceView(service, price_for(session, service.code, year or budget_year()))


def create_service(session: Session, actor: Actor, data: dict[str, Any]) -> ServiceView:
    actor.require(*MANAGERS)
    if session.get(Service, data["code"]) is not None:
        raise Conflict(
            N_("Service %(code)s exists."),
            errors={"code": [N_("A service has this code.")]},
            params={"code": data["code"]},
        )
    if data.get("status") == ServiceStatus.RETIRED:
        raise ValidationFailed("status", N_("A new service is planned or active, not retired."))
    service = Service(**data)
    session.add(service)
    session.flush()
    return ServiceView(service, None)


def update_service(
    session: Session, actor: Actor, service: Service, changes: dict[str, Any]
) -> ServiceView:
    """Change a service; the tier is fixed, the status follows planned → active → retired."""
    actor.require(*MANAGERS)
    if "tier" in changes and changes["tier"] != service.tier:
        raise ValidationFailed(
            "tier",
            N_(
                "The tier of a service cannot change (its prices and orders depend on it); "
                "retire it and create a new service."
            ),
        )
    if "status" in changes and changes["status"] != service.status:
        check_transition(
            SERVICE_TRANSITIONS,
            ServiceStatus(service.status),
            ServiceStatus(changes["status"]),
            N_("Service"),
            service.code,
        )
    for key, value in changes.items():
        setattr(service, key, value)
    service.updated_at = utcnow()
    session.flush()
    return view_service(session, service)


def check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(
            "year",
            N_("A budget year from %(first)s to %(last)s."),
            params={"first": MIN_YEAR, "last": MAX_YEAR},
        )


def get_price(session: Session, code: str, year: int) -> ServicePrice:
    check_year(year)
    get_service(session, code)
    price = price_for(session, code, year)
    if price is None:
        raise NotFound(
            N_("Service %(code)s has no price for budget year %(year)s."),
            params={"code": code, "year": year},
        )
    return price


def list_prices(session: Session, code: str) -> list[ServicePrice]:
    """Every budget year's price of a service, oldest first."""
    get_service(session, code)
    return list(
        session.scalars(
            sa.select(ServicePrice)
            .where(col(ServicePrice.service_code) == code)
            .order_by(col(ServicePrice.year))
        )
    )


def set_price(
    session: Session, actor: Actor, code: str, year: int, data: dict[str, Any]
) -> ServicePrice:
    """Create or replace a service's price for one budget year (shape by tier)."""
    actor.require(*MANAGERS)
    check_year(year)
    service = get_service(session, code, for_update=True)
    closing.refuse_closed_year(session, year, "year", f"changing {code}'s price")
    model = PRICE_MODEL_OF_TIER[Tier(service.tier)]
    values = _check_price(session, service, model, data)
    price = price_for(session, code, year)
    if price is None:
        price = ServicePrice(service_code=code, year=year, model=model.value)
        session.add(price)
    for name in ALL_PRICE_FIELDS:
        setattr(price, name, values.get(name))
    price.model = model.value
    price.updated_at = utcnow()
    session.flush()
    if model is PriceModel.ALLOCATION:
        from service_catalog.reports.keys_complete import check_keys_complete

        check_keys_complete(session)
    return price


def _check_price(
    session: Session, service: Service, model: PriceModel, data: dict[str, Any]
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    given = data.get("model")
    if given is not None and given != model:
        errors["model"] = [f"A {service.tier} service is priced by {model.value}, not {given}."]
    for name in sorted(ALL_PRICE_FIELDS - set(PRICE_FIELDS[model])):
        if data.get(name) is not None:
            errors[name] = [f"Not part of a {model.value} price (the service is {service.tier})."]
    for name in REQUIRED_PRICE_FIELDS[model]:
        if data.get(name) is None:
            errors[name] = [f"Required for a {model.value} price."]
    if errors:
        raise ValidationFailed(
            errors=errors, detail=N_("The price does not fit the service's tier.")
        )
    values = {name: data.get(name) for name in PRICE_FIELDS[model]}
    if model is PriceModel.UNIT and values["setup_fee"] is None:
        values["setup_fee"] = 0
    if model is PriceModel.ALLOCATION:
        values["allocation_key"] = _key_for_price(session, values.get("allocation_key"))
    return values


def _key_for_price(session: Session, name: str | None) -> str:
    """The named key, or the default key when none is named (stored by name either way)."""
    if name is not None:
        if (
            session.scalar(sa.select(col(AllocationKey.id)).where(col(AllocationKey.name) == name))
            is None
        ):
            raise ValidationFailed(
                "allocation_key", N_("Unknown allocation key %(name)r."), params={"name": name}
            )
        return name
    default = session.scalar(
        sa.select(col(AllocationKey.name)).where(col(AllocationKey.is_default))
    )
    if default is None:
        raise ValidationFailed(
            "allocation_key",
            N_("No allocation key exists yet; create one (it becomes the default)."),
        )
    return default
