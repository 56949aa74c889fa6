"""Special requests over HTTP: quote, accept/reject, one portfolio ranking, delivery."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service_catalog.models import SpecialRequest

pytestmark = pytest.mark.db

HOST, OTHER = "1505", "1563"


@pytest.fixture
def consultant(make_service):
    """The consultant hour at IKTNH's published 650 NOK."""
    return make_service("KONSULENT", "special", name="Konsulenttime")


@pytest.fixture
def people(create_user):
    class People:
        kristiansund = create_user("orderer", HOST)
        sunndal = create_user("orderer", OTHER)
        manager = create_user("catalogue_manager")
        agent = create_user("agent")

    return People


def _submit(client, orderer, title="Integrasjon mot arkiv", **extra):
    response = client.post(
        "/api/v1/special-requests",
        headers=orderer.headers,
        json={"title": title, "description": "Ny integrasjon", **extra},
    )
    assert response.status_code == 201, response.json
    return response.json


def _post(client, user, request_id, action, body=None):
    return client.post(
        f"/api/v1/special-requests/{request_id}/{action}", headers=user.headers, json=body
    )


def _patch(client, user, request_id, body):
    url = f"/api/v1/special-requests/{request_id}"
    etag = client.get(url, headers=user.headers).headers["ETag"]
    return client.patch(url, headers={**user.headers, "If-Match": etag}, json=body)


def _ranks(client, user):
    portfolio = client.get("/api/v1/special-requests/portfolio", headers=user.headers).json["items"]
    return [(r["id"], r["priority_rank"]) for r in portfolio]


def test_full_flow_submit_quote_accept_work_deliver(client, people, consultant):
    request = _submit(client, people.kristiansund)
    assert (request["status"], request["priority_rank"], request["service_code"]) == (
        "submitted",
        1,
        "KONSULENT",
    )
    quoted = _post(client, people.manager, request["id"], "quote", {"hours": "40"})
    assert quoted.status_code == 200, quoted.json
    assert quoted.json["quote"] == {"hours": "40.00", "hourly_rate": "650.00", "amount": "26000.00"}
    accepted = _post(client, people.kristiansund, request["id"], "accept")
    assert accepted.json["status"] == "accepted"
    started = _patch(client, people.manager, request["id"], {"status": "in_progress"})
    assert started.json["status"] == "in_progress"
    delivered = _patch(
        client, people.manager, request["id"], {"status": "delivered", "actual_hours": "37.5"}
    )
    assert delivered.status_code == 200, delivered.json
    assert (
        delivered.json["status"],
        delivered.json["actual_hours"],
        delivered.json["priority_rank"],
    ) == (
        "delivered",
        "37.50",
        None,
    )


def test_fixed_amount_quote(client, people, consultant):
    request = _submit(client, people.kristiansund)
    quoted = _post(client, people.manager, request["id"], "quote", {"amount": "12000.00"})
    assert quoted.json["quote"] == {"hours": None, "hourly_rate": "650.00", "amount": "12000.00"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "hours"),
        ({"hours": "10", "amount": "100.00"}, "amount"),
        ({"hours": 10}, "hours"),
        ({"hours": "0"}, "hours"),
        ({"hours": "1e9"}, "hours"),
        ({"amount": "-5.00"}, "amount"),
        ({"hours": "10", "service_code": "SQL-LIC"}, "service_code"),
    ],
)
def test_bad_quote_is_422_and_changes_nothing(
    client, people, consultant, make_service, session, body, field
):
    make_service("SQL-LIC", "optional")
    request = _submit(client, people.kristiansund)
    response = _post(client, people.manager, request["id"], "quote", body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert session.get(SpecialRequest, request["id"]).status == "submitted"


def test_quote_in_hours_needs_this_years_price(client, people, make_service, this_year):
    make_service("KONSULENT", "special", years=(this_year - 1,))
    request = _submit(client, people.kristiansund)
    response = _post(client, people.manager, request["id"], "quote", {"hours": "10"})
    assert response.status_code == 422
    assert "hours" in response.json["errors"]


def test_request_names_its_special_service_when_several_exist(client, people, make_service):
    make_service("KONSULENT", "special")
    make_service("KONSULENT-KVELD", "special", price={"hourly_rate": "975.00"})
    response = client.post(
        "/api/v1/special-requests",
        headers=people.kristiansund.headers,
        json={"title": "Kveldsarbeid"},
    )
    assert response.status_code == 422
    assert "service_code" in response.json["errors"]
    request = _submit(client, people.kristiansund, service_code="KONSULENT-KVELD")
    quoted = _post(client, people.manager, request["id"], "quote", {"hours": "2"})
    assert quoted.json["quote"]["amount"] == "1950.00"


def test_accept_before_quote_is_409_naming_allowed(client, people, consultant):
    request = _submit(client, people.kristiansund)
    response = _post(client, people.kristiansund, request["id"], "accept")
    assert response.status_code == 409
    assert "Allowed from submitted: quoted" in response.json["detail"]


def test_status_patch_cannot_accept_for_the_orderer(client, people, consultant):
    request = _submit(client, people.kristiansund)
    _post(client, people.manager, request["id"], "quote", {"hours": "1"})
    response = _patch(client, people.manager, request["id"], {"status": "accepted"})
    assert response.status_code == 409
    assert "/accept" in response.json["detail"]


def test_deliver_needs_actual_hours(client, people, consultant):
    request = _submit(client, people.kristiansund)
    _post(client, people.manager, request["id"], "quote", {"hours": "1"})
    _post(client, people.kristiansund, request["id"], "accept")
    _patch(client, people.manager, request["id"], {"status": "in_progress"})
    response = _patch(client, people.manager, request["id"], {"status": "delivered"})
    assert response.status_code == 422
    assert "actual_hours" in response.json["errors"]


def test_one_portfolio_across_municipalities_reranked_without_gaps(client, people, consultant):
    a = _submit(client, people.kristiansund, "A")["id"]
    b = _submit(client, people.sunndal, "B")["id"]
    c = _submit(client, people.kristiansund, "C")["id"]
    d = _submit(client, people.sunndal, "D")["id"]
    assert _ranks(client, people.manager) == [(a, 1), (b, 2), (c, 3), (d, 4)]
    assert _patch(client, people.manager, d, {"priority_rank": 1}).json["priority_rank"] == 1
    assert _ranks(client, people.manager) == [(d, 1), (a, 2), (b, 3), (c, 4)]
    _patch(client, people.manager, d, {"priority_rank": 3})
    assert _ranks(client, people.manager) == [(a, 1), (b, 2), (d, 3), (c, 4)]
    # Rejecting B lets the ones behind it move up.
    _post(client, people.manager, b, "quote", {"amount": "1000.00"})
    assert _post(client, people.sunndal, b, "reject").json["priority_rank"] is None
    assert _ranks(client, people.manager) == [(a, 1), (d, 2), (c, 3)]
    # A municipal orderer sees its own requests in the portfolio, with their global ranks.
    assert _ranks(client, people.kristiansund) == [(a, 1), (c, 3)]


def test_rank_outside_the_portfolio_is_422(client, people, consultant):
    request = _submit(client, people.kristiansund)
    response = _patch(client, people.manager, request["id"], {"priority_rank": 2})
    assert response.status_code == 422
    assert "priority_rank" in response.json["errors"]


def test_other_municipality_sees_404_and_cannot_accept(client, people, consultant):
    request = _submit(client, people.kristiansund)
    _post(client, people.manager, request["id"], "quote", {"hours": "1"})
    url = f"/api/v1/special-requests/{request['id']}"
    assert client.get(url, headers=people.sunndal.headers).status_code == 404
    assert _post(client, people.sunndal, request["id"], "accept").status_code == 404
    listed = client.get("/api/v1/special-requests", headers=people.sunndal.headers).json
    assert listed["items"] == []
    filtered = client.get(
        f"/api/v1/special-requests?municipality={HOST}", headers=people.sunndal.headers
    )
    assert filtered.status_code == 403


@pytest.mark.parametrize(
    ("role", "action"),
    [
        ("requester", "submit"),
        ("agent", "submit"),
        ("orderer", "quote"),
        ("agent", "quote"),
        ("catalogue_manager", "accept"),
        ("requester", "list"),
    ],
)
def test_roles_are_enforced(client, create_user, people, consultant, role, action):
    user = create_user(role, HOST if role in ("requester", "orderer") else None)
    request = _submit(client, people.kristiansund)
    if action == "submit":
        response = client.post(
            "/api/v1/special-requests", headers=user.headers, json={"title": "x"}
        )
    elif action == "list":
        response = client.get("/api/v1/special-requests", headers=user.headers)
    else:
        response = _post(client, user, request["id"], action, {"hours": "1"})
    assert response.status_code == 403


def test_idempotency_key_replays_the_first_request(client, people, consultant, session):
    headers = {**people.kristiansund.headers, "Idempotency-Key": "sr-1"}
    body = {"title": "Ny nettside"}
    first = client.post("/api/v1/special-requests", headers=headers, json=body)
    again = client.post("/api/v1/special-requests", headers=headers, json=body)
    assert again.json["id"] == first.json["id"]
    assert session.scalar(sa.select(sa.func.count()).select_from(SpecialRequest)) == 1
