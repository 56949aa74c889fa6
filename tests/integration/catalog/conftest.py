"""Catalogue fixtures: IKT Orkidé's books with 2024 closed, and fixed ownership shares."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from service_catalog import orders, special_requests
from tests.support.catalog import CLOSED, ORKIDE
from tests.support.desk import HOST


@pytest.fixture
def orkide_2024(session, create_user, create_municipality, make_key, make_service, this_year):
    """IKT Orkidé's 2024: nine members, 1/3 + 2/3 by SSB 2024, SQL licences, one special job."""
    for number in ORKIDE:
        create_municipality(number)
    make_key(default=True)  # 0.333 equal + 0.667 by the 2024 populations
    years = (CLOSED, this_year)
    make_service("SD", "basic", price={"annual_cost": Decimal("1200000.00")}, years=years)
    make_service("BACKUP", "basic", price={"annual_cost": Decimal("100000.01")}, years=years)
    make_service("SQL-LIC", "optional", years=years)
    make_service("KONSULENT", "special", years=years)
    orderer = create_user("orderer", HOST)
    actor = Actor(orderer.id, Role.ORDERER, HOST, orderer.email)
    order = orders.place_order(session, actor, {"service_code": "SQL-LIC", "quantity": 2})
    orders.fulfil_order(session, SYSTEM, order.id, date(CLOSED, 3, 1))
    request = special_requests.submit_request(session, actor, {"title": "Arkivintegrasjon"})
    special_requests.quote_request(session, SYSTEM, request.id, {"hours": Decimal("40")})
    special_requests.accept_request(session, actor, request.id)
    request.accepted_at = datetime(CLOSED, 5, 15, 12, tzinfo=UTC)
    session.commit()
    return order.subscription_id


@pytest.fixture
def owned(create_municipality, make_key, make_service, this_year):
    """Indigo-like fixed ownership shares over three members, pricing a basic service."""
    for number in ("1505", "1554", "1557"):
        create_municipality(number)
    make_key("Eierandeler", shares={"1505": "0.5", "1554": "0.3", "1557": "0.2"}, default=True)
    make_service("SD", "basic", price={"annual_cost": Decimal("1000.00")})
