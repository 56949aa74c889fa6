"""Catalogue managers' pages: services, prices, keys, budget-year closing, special requests."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from babel.numbers import format_currency

from kommune_ikt.core.auth.actor import Actor, Role
from service_catalog import special_requests
from service_catalog.models import (
    AllocationKey,
    BudgetYear,
    Service,
    ServiceParticipant,
    ServicePrice,
    SpecialRequest,
)
from tests.support.desk import HOST
from tests.support.portal import csrf

pytestmark = pytest.mark.db


def _duplicate_ids(html):
    """Ids given twice on a page (labels would point at the wrong field); the CSRF token's
    hidden inputs aside."""
    ids = [i for i in re.findall(r'\sid="([^"]+)"', html) if i != "csrf_token"]
    return {i for i in ids if ids.count(i) > 1}


@pytest.fixture
def manager(sign_in, create_user):
    return sign_in(create_user("catalogue_manager"))


@pytest.fixture
def books(orkide, make_service, this_year):
    """The nine Orkidé members sharing a basic service this year by the default key."""
    make_service("FELLES-DRIFT", "basic")
    return this_year


def _post(browser, path, data, page=None, prefix=""):
    token = csrf(browser.get(page or path).get_data(as_text=True))
    return browser.post(path, data={f"{prefix}csrf_token": token, **data})


def _pages(year):
    return (
        "/catalogue-admin/",
        "/catalogue-admin/services",
        "/catalogue-admin/services/FELLES-DRIFT",
        "/catalogue-admin/allocation-keys",
        "/catalogue-admin/allocation-keys/IKTNH 1/3 + 2/3",
        "/catalogue-admin/budget-years",
        f"/catalogue-admin/budget-years/{year}/close",
        "/catalogue-admin/special-requests",
    )


@pytest.mark.parametrize("role", ["catalogue_manager", "admin"])
def test_every_catalogue_page_opens_for_managers_and_admins(sign_in, create_user, books, role):
    browser = sign_in(create_user(role))
    for path in _pages(books):
        response = browser.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:400])
        assert response.get_data(as_text=True).count("<h1") == 1
        assert not _duplicate_ids(response.get_data(as_text=True)), path
    assert "Katalogforvaltning" in browser.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["requester", "orderer", "agent", "operations"])
def test_catalogue_pages_refuse_other_roles(sign_in, create_user, books, role):
    browser = sign_in(create_user(role, HOST if role in ("requester", "orderer") else None))
    for path in _pages(books):
        assert browser.get(path).status_code == 403, path
    assert "Katalogforvaltning" not in browser.get("/").get_data(as_text=True)
    assert (
        _post(browser, f"/catalogue-admin/budget-years/{books}/close", {}, "/tickets").status_code
        == 403
    )


# --- services and prices ----------------------------------------------------------------


def test_manager_creates_and_edits_a_service(manager, session):
    response = _post(
        manager,
        "/catalogue-admin/services",
        {
            "code": "SQL-LIC",
            "name": "SQL Server-lisens",
            "tier": "optional",
            "status": "planned",
            "availability_target": "0,995",
            "service_hours": "business",
            "category": "Lisenser",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    created = session.get(Service, "SQL-LIC")
    assert created.availability_target == Decimal("0.995") and created.tier == "optional"
    path = "/catalogue-admin/services/SQL-LIC"
    response = _post(
        manager,
        path,
        {"name": "SQL Server", "status": "active", "service_hours": "24x7", "tier": "basic"},
    )
    assert response.status_code == 303
    session.expire_all()
    changed = session.get(Service, "SQL-LIC")
    assert (changed.name, changed.status, changed.service_hours, changed.tier) == (
        "SQL Server",
        "active",
        "24x7",
        "optional",
    )


def test_a_bad_service_code_is_refused_in_bokmal_and_kept(manager, session):
    response = _post(
        manager,
        "/catalogue-admin/services",
        {"code": "sql lic", "name": "SQL", "tier": "optional", "status": "active"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#code"' in page and "Store bokstaver" in page and 'value="sql lic"' in page
    assert session.get(Service, "sql lic") is None


def test_a_taken_code_is_a_conflict_at_the_field(manager, books):
    response = _post(
        manager,
        "/catalogue-admin/services",
        {
            "code": "FELLES-DRIFT",
            "name": "Igjen",
            "tier": "basic",
            "status": "active",
            "service_hours": "business",
        },
    )
    assert response.status_code == 409
    assert 'href="#code"' in response.get_data(as_text=True)


def test_prices_of_every_year_are_shown_and_a_year_is_set(manager, books, session):
    path = "/catalogue-admin/services/FELLES-DRIFT"
    page = manager.get(path).get_data(as_text=True)
    assert str(books) in page and "1\u00a0200\u00a0000,00" in page
    response = _post(
        manager,
        f"{path}/prices",
        {"year": str(books + 1), "annual_cost": "1 300 000,50", "allocation_key": ""},
        page=path,
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    price = session.scalar(
        sa.select(ServicePrice).where(
            ServicePrice.service_code == "FELLES-DRIFT", ServicePrice.year == books + 1
        )
    )
    assert price.annual_cost == Decimal("1300000.50")
    assert price.allocation_key == "IKTNH 1/3 + 2/3"


def test_a_bad_amount_is_refused_in_bokmal_and_kept(manager, books):
    path = "/catalogue-admin/services/FELLES-DRIFT"
    response = _post(
        manager, f"{path}/prices", {"year": str(books), "annual_cost": "mange penger"}, page=path
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv et beløp, for eksempel 1234,50." in page and 'value="mange penger"' in page


def test_a_missing_required_price_field_is_named(manager, books):
    path = "/catalogue-admin/services/FELLES-DRIFT"
    response = _post(manager, f"{path}/prices", {"year": str(books), "annual_cost": ""}, page=path)
    assert response.status_code == 422
    assert 'href="#annual_cost"' in response.get_data(as_text=True)


def test_a_closed_years_price_is_a_clear_conflict_not_an_error(manager, books, session):
    session.add(BudgetYear(year=books, closed_by=None, allocation_keys=[], population_years=[]))
    session.commit()
    path = "/catalogue-admin/services/FELLES-DRIFT"
    response = _post(
        manager, f"{path}/prices", {"year": str(books), "annual_cost": "5,00"}, page=path
    )
    assert response.status_code == 409
    assert f"Budsjettåret {books} er lukket" in response.get_data(as_text=True)
    session.expire_all()
    price = session.scalar(
        sa.select(ServicePrice).where(
            ServicePrice.service_code == "FELLES-DRIFT", ServicePrice.year == books
        )
    )
    assert price.annual_cost == Decimal("1200000.00")


def test_manager_names_the_participants_of_a_year(manager, books, session):
    path = "/catalogue-admin/services/FELLES-DRIFT"
    response = _post(
        manager,
        f"{path}/participants",
        {"year": str(books), "municipalities": "1505, 1563"},
        page=path,
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    named = session.scalars(
        sa.select(ServiceParticipant.municipality_number).where(
            ServiceParticipant.service_code == "FELLES-DRIFT", ServiceParticipant.year == books
        )
    ).all()
    assert sorted(named) == ["1505", "1563"]


# --- allocation keys --------------------------------------------------------------------


def test_manager_creates_a_fixed_shares_key(manager, orkide, session):
    response = _post(
        manager,
        "/catalogue-admin/allocation-keys",
        {"name": "Halvt om halvt", "fixed_shares": "1505: 0,5\n1563=0.5"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    key = session.scalar(sa.select(AllocationKey).where(AllocationKey.name == "Halvt om halvt"))
    assert key.is_fixed
    assert "1505: 0.5" in manager.get("/catalogue-admin/allocation-keys").get_data(as_text=True)


def test_weights_not_summing_to_one_are_refused_and_kept(manager, orkide, session):
    response = _post(
        manager,
        "/catalogue-admin/allocation-keys",
        {"name": "Skeiv", "equal_weight": "0,5", "population_weight": "0,4"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="0,5"' in page and 'value="Skeiv"' in page
    assert session.scalar(sa.select(AllocationKey).where(AllocationKey.name == "Skeiv")) is None


def test_a_weight_above_one_is_refused_in_bokmal(manager):
    response = _post(
        manager, "/catalogue-admin/allocation-keys", {"name": "X", "equal_weight": "2"}
    )
    assert response.status_code == 422
    assert "Skriv et desimaltall mellom 0 og 1" in response.get_data(as_text=True)


def test_manager_edits_a_key(manager, books, session):
    path = "/catalogue-admin/allocation-keys/IKTNH 1/3 + 2/3"
    form = manager.get(path).get_data(as_text=True)
    assert 'value="0.333"' in form
    response = _post(
        manager,
        path,
        {
            "name": "IKTNH 1/3 + 2/3",
            "equal_weight": "0.5",
            "population_weight": "0.5",
            "population_year": "2024",
            "default": "y",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    session.expire_all()
    key = session.scalar(sa.select(AllocationKey).where(AllocationKey.name == "IKTNH 1/3 + 2/3"))
    assert key.equal_weight == Decimal("0.5")


# --- budget years -----------------------------------------------------------------------


def test_the_closing_preview_shows_the_figures_the_frozen_report_then_serves(
    manager, books, client, create_user, session
):
    preview = manager.get(f"/catalogue-admin/budget-years/{books}/close")
    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    assert session.get(BudgetYear, books) is None  # a preview closes nothing

    response = _post(manager, f"/catalogue-admin/budget-years/{books}/close", {})
    assert response.status_code == 303
    assert session.get(BudgetYear, books) is not None
    agent = create_user("agent")
    frozen = client.get(f"/api/v1/cost-reports/{books}", headers=agent.headers).json
    assert len(frozen["municipalities"]) == 9
    for row in frozen["municipalities"]:
        assert Decimal(row["totals"]["total"]) > 0
        figure = format_currency(Decimal(row["totals"]["total"]), "NOK", locale="nb")
        assert f"{row['municipality']} {row['name']}" in shown
        assert figure in shown, (row, figure)
    assert format_currency(Decimal(frozen["totals"]["total"]), "NOK", locale="nb") in shown
    listing = manager.get("/catalogue-admin/budget-years").get_data(as_text=True)
    assert "Lukket" in listing


def test_closing_a_closed_year_is_a_clear_conflict(manager, books, session):
    path = f"/catalogue-admin/budget-years/{books}/close"
    assert _post(manager, path, {}).status_code == 303
    token = csrf(manager.get("/catalogue-admin/budget-years").get_data(as_text=True))
    again = manager.post(path, data={"csrf_token": token})
    assert again.status_code == 409
    assert f"Budsjettåret {books} er allerede lukket" in again.get_data(as_text=True)


def test_closing_needs_the_csrf_token(manager, books, session):
    response = manager.post(f"/catalogue-admin/budget-years/{books}/close")
    assert response.status_code == 400
    assert session.get(BudgetYear, books) is None


# --- special requests -------------------------------------------------------------------


@pytest.fixture
def two_requests(make_service, create_user, session):
    make_service("KONSULENT", "special")
    orderer = create_user("orderer", HOST)
    who = Actor(orderer.id, Role.ORDERER, HOST, orderer.email)
    made = [
        special_requests.submit_request(session, who, {"title": title, "description": "Trengs"})
        for title in ("Ny nettside", "Ny integrasjon")
    ]
    session.commit()
    return [r.id for r in made]


def test_manager_quotes_hours_and_an_amount(manager, two_requests, session):
    first, second = two_requests
    page = "/catalogue-admin/special-requests"
    assert (
        _post(
            manager, f"{page}/{first}/quote", {f"q{first}-hours": "10"}, page, f"q{first}-"
        ).status_code
        == 303
    )
    assert (
        _post(
            manager, f"{page}/{second}/quote", {f"q{second}-amount": "12 000"}, page, f"q{second}-"
        ).status_code
        == 303
    )
    session.expire_all()
    one, two = session.get(SpecialRequest, first), session.get(SpecialRequest, second)
    assert (one.status, one.quote_amount) == ("quoted", Decimal("6500.00"))
    assert (two.status, two.quote_amount) == ("quoted", Decimal("12000.00"))


def test_a_quote_with_both_hours_and_amount_is_refused_and_kept(manager, two_requests, session):
    first, _ = two_requests
    page = "/catalogue-admin/special-requests"
    response = _post(
        manager,
        f"{page}/{first}/quote",
        {f"q{first}-hours": "3", f"q{first}-amount": "77"},
        page,
        f"q{first}-",
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Oppgi enten timer eller beløp." in text
    assert 'value="77"' in text
    session.expire_all()
    assert session.get(SpecialRequest, first).status == "submitted"


def test_manager_moves_a_request_to_first_place(manager, two_requests, session):
    first, second = two_requests
    page = "/catalogue-admin/special-requests"
    response = _post(
        manager, f"{page}/{second}/rank", {f"r{second}-priority_rank": "1"}, page, f"r{second}-"
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(SpecialRequest, second).priority_rank == 1
    assert session.get(SpecialRequest, first).priority_rank == 2


def test_a_rank_of_zero_is_refused_in_bokmal(manager, two_requests):
    first, _ = two_requests
    page = "/catalogue-admin/special-requests"
    response = _post(
        manager, f"{page}/{first}/rank", {f"r{first}-priority_rank": "0"}, page, f"r{first}-"
    )
    assert response.status_code == 422
    assert "Skriv en plass, 1 eller høyere." in response.get_data(as_text=True)
