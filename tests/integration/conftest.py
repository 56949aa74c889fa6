"""Fixtures more than one integration package uses: the desk, the catalogue, SMTP, clamd."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from kommune_ikt.core.auth.actor import SYSTEM
from service_catalog import catalogue, keys
from service_catalog.catalogue import budget_year
from service_catalog.models import AllocationKey, Service
from tests.support.catalog import ORKIDE, PRICES
from tests.support.clamd import Clamd, running_clamd
from tests.support.desk import HOST, OTHER, Desk
from tests.support.machine import free_port
from tests.support.smtp import Handler


@pytest.fixture
def desk(client, session, create_municipality, create_user) -> Desk:
    create_municipality(HOST)
    create_municipality(OTHER)
    return Desk(client, session, create_user)


@pytest.fixture
def create_service(session):
    """``create_service("M365-LIC", tier="optional")``: a catalogue entry."""
    from service_catalog.models import Service

    def create(code: str = "FAGSYS-EPJ", name: str = "Journalsystem helse", **values: Any) -> Any:
        existing = session.get(Service, code)
        if existing is not None:
            return existing
        values.setdefault("tier", "basic")
        values.setdefault("status", "active")
        values.setdefault("category", "Fagsystemer")
        service = Service(code=code, name=name, **values)
        session.add(service)
        session.commit()
        return service

    return create


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


@pytest.fixture
def smtp_server() -> Iterator[Handler]:
    """A real local SMTP server (aiosmtpd); what it received is in ``.messages``."""
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture(scope="session")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    """A real clamd (``pytest.mark.clamd``) that knows only the EICAR signature."""
    with running_clamd(tmp_path_factory.mktemp("clamd")) as daemon:
        yield daemon
