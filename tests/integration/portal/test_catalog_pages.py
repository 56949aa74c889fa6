"""The catalogue, ordering, my orders and the approvals inbox, through the pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from babel.numbers import format_currency

from service_catalog.models import Order, Service
from servicedesk.models import Ticket
from tests.support.desk import HOST, OTHER
from tests.support.portal import csrf

pytestmark = pytest.mark.db


@pytest.fixture
def shelf(session, desk, make_service):
    """Two members' catalogue: a basic service, two optional ones, a special one, a planned one."""
    made = {
        "SD": make_service("SD", "basic", name="Servicedesk"),
        "SQL-LIC": make_service("SQL-LIC", "optional", name="Lisens SQL database"),
        "MOBIL": make_service(
            "MOBIL",
            "optional",
            name="Mobilabonnement",
            price={
                "unit": "user",
                "unit_price": Decimal("199.00"),
                "period": "month",
                "setup_fee": Decimal("500.00"),
            },
        ),
        "KONSULENT": make_service("KONSULENT", "special", name="Konsulenttime"),
        "NYTT": make_service("NYTT", "optional", name="Kommende skannertjeneste", status="planned"),
    }
    categories = {"SD": "Brukerstøtte", "SQL-LIC": "Lisenser", "MOBIL": "Telefoni"}
    for code, category in categories.items():
        session.get(Service, code).category = category
    session.get(Service, "SD").availability_target = Decimal("0.995")
    session.get(Service, "SD").service_hours = "24x7"
    session.commit()
    return made


def _page(browser, path, **query):
    response = browser.get(path, query_string=query)
    return response, response.get_data(as_text=True)


def _order_page_form(browser, code):
    response, page = _page(browser, f"/catalogue/{code}/order")
    assert response.status_code == 200, page
    return csrf(page)


def _place(browser, code="SQL-LIC", quantity="2", note="Til nytt fagsystem", token=None):
    token = token if token is not None else _order_page_form(browser, code)
    data = {"quantity": quantity, "note": note}
    if token:
        data["csrf_token"] = token
    return browser.post(f"/catalogue/{code}/order", data=data)


def _orders(session):
    session.expire_all()
    return list(session.scalars(sa.select(Order).order_by(Order.id)))


# --- browsing ----------------------------------------------------------------------


def test_catalogue_lists_active_services_with_tiers_in_plain_words(sign_in, desk, shelf):
    browser = sign_in(desk.create_user("requester", HOST))
    response, page = _page(browser, "/")
    assert 'href="/catalogue"' in page and "Tjenestekatalog" in page
    response, page = _page(browser, "/catalogue")
    assert response.status_code == 200
    for name in ("Servicedesk", "Lisens SQL database", "Mobilabonnement", "Konsulenttime"):
        assert name in page
    assert "Kommende skannertjeneste" not in page  # planned: not for municipal staff
    for words in ("Inkludert for alle", "Kan bestilles", "Spesialbestilling"):
        assert words in page
    assert '<form method="get"' in page and 'name="q"' in page


def test_catalogue_filters_by_tier_and_category_and_searches(sign_in, desk, shelf):
    browser = sign_in(desk.create_user("requester", HOST))
    _, page = _page(browser, "/catalogue", tier="optional")
    assert "Lisens SQL database" in page and "Mobilabonnement" in page
    assert "Servicedesk" not in page and "Konsulenttime" not in page
    _, page = _page(browser, "/catalogue", category="Telefoni")
    assert "Mobilabonnement" in page and "Lisens SQL database" not in page
    _, page = _page(browser, "/catalogue", q="sql")
    assert "Lisens SQL database" in page and "Mobilabonnement" not in page
    assert 'value="sql"' in page  # the search box keeps what was typed
    _, page = _page(browser, "/catalogue", q="finnesikke")
    assert "Ingen tjenester passer" in page
    response, page = _page(browser, "/catalogue", tier="bogus", cursor="")
    assert response.status_code == 200 and "Servicedesk" in page


def test_catalogue_speaks_the_users_language(sign_in, desk, shelf):
    browser = sign_in(desk.create_user("requester", HOST))
    _, page = _page(browser, "/catalogue/SQL-LIC")
    assert "Kan bestilles" in page
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nn"
    _, page = _page(browser, "/catalogue/SQL-LIC")
    assert "Kan bestillast" in page and "Tenestekatalog" in page


def test_it_roles_also_see_planned_services(sign_in, desk, shelf):
    _, page = _page(sign_in(desk.create_user("catalogue_manager")), "/catalogue")
    assert "Kommende skannertjeneste" in page and "Planlagt" in page


# --- a service's page and its price ------------------------------------------------


def test_basic_service_page_shows_my_share_as_in_the_cost_report(
    sign_in, desk, shelf, client, this_year
):
    orderer = desk.create_user("orderer", HOST)
    report = client.get(
        f"/api/v1/cost-reports/{this_year}?municipality={HOST}", headers=orderer.headers
    )
    assert report.status_code == 200, report.json
    share = sum(
        (Decimal(line["amount"]) for line in report.json["lines"] if line["service_code"] == "SD"),
        Decimal(0),
    )
    assert Decimal(0) < share < Decimal("1200000.00")
    # A requester (who may not read the cost report) sees the same amount on the page.
    response, page = _page(sign_in(desk.create_user("requester", HOST)), "/catalogue/SD")
    assert response.status_code == 200
    assert format_currency(share, "NOK", locale="nb") in page
    assert format_currency(Decimal("1200000.00"), "NOK", locale="nb") in page
    assert "Døgnet rundt" in page and "99,5\xa0%" in page


def test_it_role_sees_the_annual_cost_and_key_of_a_basic_service(sign_in, desk, shelf):
    _, page = _page(sign_in(desk.create_user("agent")), "/catalogue/SD")
    assert format_currency(Decimal("1200000.00"), "NOK", locale="nb") in page
    assert "IKTNH 1/3 + 2/3" in page and "Kommunens andel" not in page


def test_optional_service_page_shows_unit_price_and_an_order_form(sign_in, desk, shelf):
    _, page = _page(sign_in(desk.create_user("requester", HOST)), "/catalogue/MOBIL")
    assert format_currency(Decimal("199.00"), "NOK", locale="nb") + " per bruker per måned" in page
    assert format_currency(Decimal("500.00"), "NOK", locale="nb") in page
    assert 'action="/catalogue/MOBIL/order"' in page and 'name="quantity"' in page


def test_special_service_page_shows_the_hourly_rate_and_no_order_form(sign_in, desk, shelf):
    _, page = _page(sign_in(desk.create_user("orderer", HOST)), "/catalogue/KONSULENT")
    assert format_currency(Decimal("650.00"), "NOK", locale="nb") in page
    assert 'name="quantity"' not in page


def test_unknown_service_is_a_not_found_page(sign_in, desk, shelf):
    response, page = _page(sign_in(desk.create_user("requester", HOST)), "/catalogue/NOPE")
    assert response.status_code == 404 and "Fant ikke siden" in page


# --- ordering ----------------------------------------------------------------------


def test_requesters_order_waits_for_approval(sign_in, desk, shelf, session):
    me = desk.create_user("requester", HOST)
    browser = sign_in(me)
    response = _place(browser)
    assert response.status_code == 303
    (order,) = _orders(session)
    assert (order.status, order.quantity, order.note, order.created_by) == (
        "pending_approval",
        2,
        "Til nytt fagsystem",
        me.id,
    )
    assert order.ticket_id is None
    assert response.headers["Location"].endswith(f"/orders/{order.id}")
    _, page = _page(browser, f"/orders/{order.id}")
    assert "venter på godkjenning fra kommunens bestiller" in page
    assert "Venter på godkjenning" in page and "Lisens SQL database" in page
    _, page = _page(browser, "/orders")
    assert f"/orders/{order.id}" in page


def test_orderers_own_order_is_approved_at_once_with_a_ticket(sign_in, desk, shelf, session):
    browser = sign_in(desk.create_user("orderer", HOST))
    response = _place(browser, "MOBIL", quantity="5")
    assert response.status_code == 303
    (order,) = _orders(session)
    assert order.status == "approved" and order.ticket_id is not None
    _, page = _page(browser, response.headers["Location"])
    assert "Bestillingen er godkjent" in page
    assert f'href="/tickets/{order.ticket_id}"' in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("tre", "Skriv antallet som et helt tall"),
        ("0", "Antallet må være fra 1 til 1 000 000."),
        ("", "Skriv et antall."),
    ],
)
def test_bad_quantity_is_422_at_the_field_keeping_what_was_typed(
    sign_in, desk, shelf, session, typed, message
):
    browser = sign_in(desk.create_user("requester", HOST))
    response = _place(browser, quantity=typed, note="Husk lisensnøkkel")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'href="#quantity"' in page and 'aria-invalid="true"' in page
    assert f'value="{typed}"' in page and "Husk lisensnøkkel" in page
    assert _orders(session) == []


def test_unstorable_note_is_422_and_odd_queries_are_no_500(sign_in, desk, shelf, session):
    browser = sign_in(desk.create_user("requester", HOST))
    response = _place(browser, note="null\x00tegn")
    assert response.status_code == 422
    assert "tegn som ikke kan lagres" in response.get_data(as_text=True)
    assert _orders(session) == []
    response, page = _page(browser, "/catalogue", q="sql\x00")
    assert response.status_code == 200 and "Lisens SQL database" in page
    for path in ("/catalogue", "/orders"):
        assert _page(browser, path, cursor="forfalsket")[0].status_code == 400


def test_ordering_a_basic_service_is_refused_politely(sign_in, desk, shelf, session):
    browser = sign_in(desk.create_user("orderer", HOST))
    response, page = _page(browser, "/catalogue/SD/order")
    assert response.status_code == 200 and "grunntjeneste" in page
    assert 'name="quantity"' not in page
    token = csrf(_page(browser, "/catalogue/SD")[1])
    response = _place(browser, "SD", token=token)
    assert response.status_code == 409
    assert "grunntjeneste" in response.get_data(as_text=True)
    assert _orders(session) == []


def test_it_roles_are_not_offered_ordering(sign_in, desk, shelf):
    browser = sign_in(desk.create_user("agent"))
    assert 'name="quantity"' not in _page(browser, "/catalogue/SQL-LIC")[1]
    assert _page(browser, "/catalogue/SQL-LIC/order")[0].status_code == 403


def test_ordering_without_csrf_is_refused_and_orders_nothing(sign_in, desk, shelf, session):
    browser = sign_in(desk.create_user("orderer", HOST))
    response = _place(browser, token="")
    assert response.status_code == 422
    assert _orders(session) == []


# --- my orders and the approvals inbox ---------------------------------------------


def _api_order(desk, user, code="SQL-LIC", quantity=3):
    response = desk.client.post(
        "/api/v1/orders",
        headers=user.headers,
        json={"service_code": code, "quantity": quantity, "note": "Fra API"},
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_requester_sees_own_orders_and_orderer_the_municipalitys(sign_in, desk, shelf):
    me = desk.create_user("requester", HOST)
    colleague = desk.create_user("requester", HOST)
    mine, theirs = _api_order(desk, me), _api_order(desk, colleague)
    _, page = _page(sign_in(me), "/orders")
    assert f"/orders/{mine}" in page and f"/orders/{theirs}" not in page
    assert _page(sign_in(me), f"/orders/{theirs}")[0].status_code == 404
    _, page = _page(sign_in(desk.create_user("orderer", HOST)), "/orders")
    assert f"/orders/{mine}" in page and f"/orders/{theirs}" in page


def test_orderer_approves_in_the_inbox_and_a_fulfilment_ticket_opens(sign_in, desk, shelf, session):
    order_id = _api_order(desk, desk.create_user("requester", HOST))
    orderer = desk.create_user("orderer", HOST)
    browser = sign_in(orderer)
    _, home = _page(browser, "/")
    assert 'href="/approvals"' in home and "&lt;h2" not in home  # headings are markup
    response, page = _page(browser, "/approvals")
    assert response.status_code == 200 and f"/approvals/{order_id}/approve" in page
    assert 'id="csrf_token"' not in page.split("</header>")[1]  # one form per row, no id clash
    response = browser.post(f"/approvals/{order_id}/approve", data={"csrf_token": csrf(page)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/approvals")
    (order,) = _orders(session)
    assert (order.status, order.approved_by) == ("approved", orderer.id)
    assert session.get(Ticket, order.ticket_id) is not None
    _, page = _page(browser, "/approvals")
    assert f"Bestilling nr. {order_id} er godkjent" in page
    assert f"/approvals/{order_id}/approve" not in page


def test_orderer_rejects_in_the_inbox(sign_in, desk, shelf, session):
    order_id = _api_order(desk, desk.create_user("requester", HOST))
    browser = sign_in(desk.create_user("orderer", HOST))
    token = csrf(_page(browser, "/approvals")[1])
    response = browser.post(f"/approvals/{order_id}/reject", data={"csrf_token": token})
    assert response.status_code == 303
    (order,) = _orders(session)
    assert order.status == "rejected" and order.ticket_id is None


def test_orderer_rejects_with_a_reason_on_the_orders_page(sign_in, desk, shelf, session):
    requester = desk.create_user("requester", HOST)
    order_id = _api_order(desk, requester)
    browser = sign_in(desk.create_user("orderer", HOST))
    token = csrf(_page(browser, f"/orders/{order_id}")[1])
    url = f"/approvals/{order_id}/reject"
    response = browser.post(url, data={"csrf_token": token, "reason": "x" * 1001, "back": "order"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Høyst 1000 tegn." in page and 'href="#reason"' in page
    assert _orders(session)[0].status == "pending_approval"
    reason = "Vi har nok lisenser fra før."
    response = browser.post(url, data={"csrf_token": token, "reason": reason, "back": "order"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order_id}")
    (order,) = _orders(session)
    assert (order.status, order.reason) == ("rejected", reason)
    _, page = _page(sign_in(requester), f"/orders/{order_id}")
    assert "Avvist" in page and reason in page


def test_requester_cannot_open_approvals(sign_in, desk, shelf):
    browser = sign_in(desk.create_user("requester", HOST))
    response, page = _page(browser, "/approvals")
    assert response.status_code == 403 and "Ingen tilgang" in page
    assert 'href="/approvals"' not in _page(browser, "/")[1]


def test_another_municipalitys_order_is_not_found(sign_in, desk, shelf, session):
    order_id = _api_order(desk, desk.create_user("requester", OTHER))
    browser = sign_in(desk.create_user("orderer", HOST))
    response, page = _page(browser, f"/orders/{order_id}")
    assert response.status_code == 404 and "Fra API" not in page
    token = csrf(_page(browser, "/approvals")[1])
    response = browser.post(f"/approvals/{order_id}/approve", data={"csrf_token": token})
    assert response.status_code == 404
    assert _orders(session)[0].status == "pending_approval"


def test_approving_without_csrf_is_refused(sign_in, desk, shelf, session):
    order_id = _api_order(desk, desk.create_user("requester", HOST))
    browser = sign_in(desk.create_user("orderer", HOST))
    response = browser.post(f"/approvals/{order_id}/approve", data={})
    assert response.status_code == 400
    (order,) = _orders(session)
    assert order.status == "pending_approval" and order.ticket_id is None


# --- withdrawing an order ----------------------------------------------------------


def test_requester_withdraws_own_order_with_a_reason(sign_in, desk, shelf, session):
    requester = desk.create_user("requester", HOST)
    order_id = _api_order(desk, requester)
    browser = sign_in(requester)
    _, page = _page(browser, f"/orders/{order_id}")
    assert f"/orders/{order_id}/cancel" in page
    reason = "Feil tjeneste, beklager."
    response = browser.post(
        f"/orders/{order_id}/cancel", data={"csrf_token": csrf(page), "reason": reason}
    )
    assert response.status_code == 303
    (order,) = _orders(session)
    assert (order.status, order.cancelled_by, order.reason) == ("cancelled", requester.id, reason)
    _, page = _page(browser, f"/orders/{order_id}")
    assert "er trukket tilbake" in page and reason in page
    assert f"/orders/{order_id}/cancel" not in page  # nothing left to withdraw


def test_orderer_withdraws_an_approved_order_and_its_ticket_follows(sign_in, desk, shelf, session):
    orderer = desk.create_user("orderer", HOST)
    order_id = _api_order(desk, orderer)  # an orderer's own order: approved, ticket open
    assert _orders(session)[0].ticket_id is not None
    browser = sign_in(orderer)
    token = csrf(_page(browser, f"/orders/{order_id}")[1])
    response = browser.post(f"/orders/{order_id}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    (order,) = _orders(session)
    assert order.status == "cancelled"
    assert session.get(Ticket, order.ticket_id).status == "cancelled"


def test_withdrawing_a_delivered_order_is_refused_and_changes_nothing(
    sign_in, desk, shelf, session
):
    orderer = desk.create_user("orderer", HOST)
    order_id = _api_order(desk, orderer)
    agent = desk.create_user("agent")
    response = desk.client.post(
        f"/api/v1/orders/{order_id}/fulfil",
        headers=agent.headers,
        json={"start_on": date.today().isoformat()},
    )
    assert response.status_code == 200, response.json
    browser = sign_in(orderer)
    _, page = _page(browser, f"/orders/{order_id}")
    assert f"/orders/{order_id}/cancel" not in page
    response = browser.post(f"/orders/{order_id}/cancel", data={"csrf_token": csrf(page)})
    assert response.status_code == 409 and "Det gikk ikke" in response.get_data(as_text=True)
    assert _orders(session)[0].status == "fulfilled"


def test_a_too_long_reason_is_422_at_the_field_and_nothing_is_withdrawn(
    sign_in, desk, shelf, session
):
    requester = desk.create_user("requester", HOST)
    order_id = _api_order(desk, requester)
    browser = sign_in(requester)
    token = csrf(_page(browser, f"/orders/{order_id}")[1])
    response = browser.post(
        f"/orders/{order_id}/cancel", data={"csrf_token": token, "reason": "x" * 1001}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Høyst 1000 tegn." in page and 'href="#reason"' in page
    assert _orders(session)[0].status == "pending_approval"
    response = browser.post(f"/orders/{order_id}/cancel", data={"reason": "uten skjema"})
    assert response.status_code == 400
    assert _orders(session)[0].status == "pending_approval"


def test_another_municipalitys_order_cannot_be_withdrawn(sign_in, desk, shelf, session):
    order_id = _api_order(desk, desk.create_user("requester", OTHER))
    browser = sign_in(desk.create_user("orderer", HOST))
    token = csrf(_page(browser, "/orders")[1])
    response = browser.post(f"/orders/{order_id}/cancel", data={"csrf_token": token})
    assert response.status_code == 404
    assert _orders(session)[0].status == "pending_approval"
