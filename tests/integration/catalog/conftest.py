"""Factories for the catalogue tests: keys, services with prices, the Orkidé members."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth.actor import SYSTEM
from service_catalog import catalogue, keys
from service_catalog.catalogue import budget_year
from service_catalog.models import AllocationKey, Service

ORKIDE = ("1505", "1554", "1557", "1560", "1563", "1566", "1573", "1576", "5061")


@pytest.fixture
def this_year() -> int:
    return budget_year()


@pytest.fixture
def orkide(create_municipality):
    """IKT Orkidé's nine current members (official populations)."""
    return [create_municipality(n) for n in ORKIDE]


@pytest.fixture
def make_key(session):
    """``make_key()``: IKT Nordhordland's 1/3 equal + 2/3 population (as published: 33.3/66.7)."""

    def make(
        name: str = "IKTNH 1/3 + 2/3",
        equal: str | None = "0.333",
        population: str | None = "0.667",
        shares: dict[str, str] | None = None,
        default: bool = False,
        population_year: int | None = 2024,
    ) -> AllocationKey:
        """The shipped SSB figures are of 1 January 2024, so the key names that year."""
        existing = session.scalar(sa.select(AllocationKey).where(AllocationKey.name == name))
        if existing is not None:
            return existing
        data: dict[str, Any] = {"name": name, "is_default": default}
        if shares is not None:
            data["fixed_shares"] = {k: Decimal(v) for k, v in shares.items()}
        else:
            data["equal_weight"] = Decimal(equal)
            data["population_weight"] = Decimal(population)
            data["population_year"] = population_year
        view = keys.create_key(session, SYSTEM, data)
        session.commit()
        return view.key

    return make


PRICES = {
    "basic": {"annual_cost": Decimal("1200000.00")},
    "optional": {"unit": "licence", "unit_price": Decimal("49000.00"), "period": "year"},
    "special": {"hourly_rate": Decimal("650.00")},
}


@pytest.fixture
def make_service(session, make_key, this_year):
    """``make_service("SQL-LIC", "optional")``: an active service priced for this year."""

    def make(
        code: str,
        tier: str = "optional",
        *,
        status: str = "active",
        price: dict[str, Any] | None = None,
        years: tuple[int, ...] | None = None,
        name: str | None = None,
    ):
        if tier == "basic" and keys.default_key_name(session) is None:
            make_key(default=True)
        existing = session.get(Service, code)
        if existing is None:
            catalogue.create_service(
                session,
                SYSTEM,
                {"code": code, "name": name or code.title(), "tier": tier, "status": "active"},
            )
            for year in years or (this_year,):
                catalogue.set_price(session, SYSTEM, code, year, price or PRICES[tier])
            if status != "active":
                session.get(Service, code).status = status
            session.flush()
            session.commit()
        return session.get(Service, code)

    return make
