"""Order fulfilment: the catalogue's order signals open, resolve and cancel a service request."""

from datetime import date
from decimal import Decimal

import pytest

from kommune_ikt.core.auth.actor import SYSTEM
from service_catalog import catalogue
from service_catalog.catalogue import budget_year
from service_catalog.models import Order, Service
from servicedesk.models import Ticket
from tests.support.desk import HOST

pytestmark = pytest.mark.db
CODE = "M365-E3"


@pytest.fixture
def licence(session):
    """An active optional service priced for this year, as the catalogue would hold it."""
    if session.get(Service, CODE) is None:
        catalogue.create_service(
            session,
            SYSTEM,
            {"code": CODE, "name": "Microsoft 365 E3", "tier": "optional", "status": "active"},
        )
        catalogue.set_price(
            session,
            SYSTEM,
            CODE,
            budget_year(),
            {"unit": "licence", "unit_price": Decimal("3900.00"), "period": "year"},
        )
        session.commit()
    return CODE


@pytest.fixture
def people(create_user):
    return {
        "requester": create_user("requester", HOST),
        "orderer": create_user("orderer", HOST),
        "agent": create_user("agent"),
    }


def _order(desk, user, note="Til nye ansatte i hjemmetjenesten"):
    response = desk.client.post(
        "/api/v1/orders",
        headers=user.headers,
        json={"service_code": CODE, "quantity": 5, "note": note},
    )
    assert response.status_code == 201, response.json
    return response.json


def _ticket_of(desk, order_id):
    order = desk.session.get(Order, order_id, populate_existing=True)
    if order.ticket_id is None:
        return None
    return desk.session.get(Ticket, order.ticket_id, populate_existing=True)


def test_pending_order_has_no_ticket(desk, people, licence):
    order = _order(desk, people["requester"])
    assert order["ticket_id"] is None
    assert _ticket_of(desk, order["id"]) is None


def test_approval_opens_a_linked_service_request(desk, people, licence):
    order = _order(desk, people["requester"])
    approved = desk.client.post(
        f"/api/v1/orders/{order['id']}/approve", headers=people["orderer"].headers
    )
    assert approved.status_code == 200, approved.json
    ticket = _ticket_of(desk, order["id"])
    assert approved.json["ticket_id"] == ticket.id
    assert (ticket.type, ticket.service_code, ticket.municipality_number) == (
        "service_request",
        CODE,
        HOST,
    )
    assert ticket.requester_id == people["requester"].id
    assert ticket.source == "order"
    assert ticket.number.startswith("REQ-")
    assert "Til nye ansatte" in ticket.description
    # The requester follows the fulfilment like any ticket of theirs.
    assert desk.get(people["requester"], ticket.id).status_code == 200


def test_orderers_own_order_opens_a_ticket_at_once(desk, people, licence):
    order = _order(desk, people["orderer"])
    assert order["status"] == "approved"
    assert _ticket_of(desk, order["id"]) is not None


def test_fulfilment_resolves_the_ticket(desk, people, licence):
    order = _order(desk, people["orderer"])
    response = desk.client.post(
        f"/api/v1/orders/{order['id']}/fulfil",
        headers=people["agent"].headers,
        json={"start_on": date.today().isoformat()},
    )
    assert response.status_code == 200, response.json
    ticket = _ticket_of(desk, order["id"])
    assert ticket.status == "resolved" and ticket.resolution
    statuses = [
        (h["old"], h["new"], h["actor"])
        for h in desk.history(people["agent"], ticket.id)
        if h["field"] == "status"
    ]
    agent_id = people["agent"].id
    assert statuses[-2:] == [
        ("new", "in_progress", agent_id),
        ("in_progress", "resolved", agent_id),
    ]


def test_fulfilment_of_a_ticket_already_in_progress_resolves_it(desk, people, licence):
    order = _order(desk, people["orderer"])
    ticket = _ticket_of(desk, order["id"])
    desk.change(people["agent"], ticket.id, status="in_progress")
    desk.client.post(
        f"/api/v1/orders/{order['id']}/fulfil",
        headers=people["agent"].headers,
        json={"start_on": date.today().isoformat()},
    )
    assert _ticket_of(desk, order["id"]).status == "resolved"


def test_cancelling_the_order_cancels_its_ticket(desk, people, licence):
    order = _order(desk, people["orderer"])
    response = desk.client.post(
        f"/api/v1/orders/{order['id']}/cancel",
        headers=people["orderer"].headers,
        json={"reason": "Feilbestilling"},
    )
    assert response.status_code == 200, response.json
    assert _ticket_of(desk, order["id"]).status == "cancelled"


def test_an_approved_order_files_through_file_ticket(desk, people, licence, filings):
    """On the orderer's behalf: the requester is named, so no own-name checks apply."""
    order = _order(desk, people["orderer"])
    assert [(new.source, new.requester_id, new.municipality) for new in filings] == [
        ("order", people["orderer"].id, HOST)
    ]
    assert _ticket_of(desk, order["id"]) is not None
