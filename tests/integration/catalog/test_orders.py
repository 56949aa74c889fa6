"""Orders of optional services over HTTP: approval, rejection, fulfilment, tenancy."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from service_catalog import signals
from service_catalog.models import Order, Subscription

pytestmark = pytest.mark.db

HOST, OTHER = "1505", "1563"  # Kristiansund, Sunndal


@contextmanager
def received(signal):
    seen = []

    def receiver(order, *, session, actor, **_):
        seen.append((order.id, order.status, actor.user_id))

    with signal.connected_to(receiver):
        yield seen


def _orders(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Order))


@pytest.fixture
def sql(make_service):
    return make_service("SQL-LIC", "optional", name="Lisens SQL database")


def _order(client, user, code="SQL-LIC", quantity=2, **extra):
    return client.post(
        "/api/v1/orders",
        headers=user.headers,
        json={"service_code": code, "quantity": quantity, "note": "Til fagsystem", **extra},
    )


def test_requester_order_waits_for_approval(client, create_user, sql):
    requester = create_user("requester", HOST)
    with received(signals.order_approved) as approved:
        response = _order(client, requester)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["status"], body["municipality"], body["created_by"]) == (
        "pending_approval",
        HOST,
        requester.id,
    )
    assert approved == []


def test_orderers_own_order_starts_approved_and_signals(client, create_user, sql):
    orderer = create_user("orderer", HOST)
    with received(signals.order_approved) as approved:
        response = _order(client, orderer)
    assert response.json["status"] == "approved"
    assert response.json["approved_by"] == orderer.id
    assert approved == [(response.json["id"], "approved", orderer.id)]


def test_it_role_must_name_the_municipality(client, create_user, create_municipality, sql):
    agent = create_user("agent")
    create_municipality(OTHER)
    assert "municipality" in _order(client, agent).json["errors"]
    response = _order(client, agent, municipality=OTHER)
    assert (response.status_code, response.json["municipality"]) == (201, OTHER)


def test_municipal_caller_cannot_order_for_another_municipality(client, create_user, sql):
    requester = create_user("requester", HOST)
    create_user("requester", OTHER)
    assert _order(client, requester, municipality=OTHER).status_code == 403


@pytest.mark.parametrize(
    ("code", "tier", "status", "words"),
    [
        ("SD", "basic", "active", "basic service"),
        ("KONSULENT", "special", "active", "special-requests"),
        ("OLD-LIC", "optional", "retired", "retired"),
        ("NEW-LIC", "optional", "planned", "planned"),
    ],
)
def test_only_active_optional_services_can_be_ordered(
    client, create_user, make_service, session, code, tier, status, words
):
    make_service(code, tier, status=status)
    requester = create_user("requester", HOST)
    response = _order(client, requester, code=code)
    assert response.status_code == 409
    assert words in response.json["detail"]
    assert _orders(session) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service_code": "SQL-LIC", "quantity": 0}, "quantity"),
        ({"service_code": "SQL-LIC", "quantity": "2"}, "quantity"),
        ({"service_code": "SQL-LIC"}, "quantity"),
        ({"service_code": "NOPE", "quantity": 1}, "service_code"),
        ({"service_code": "NO-PRICE", "quantity": 1}, "service_code"),
    ],
)
def test_bad_order_is_422_naming_the_field_and_writes_nothing(
    client, create_user, make_service, session, this_year, sql, body, field
):
    make_service("NO-PRICE", "optional", years=(this_year - 1,))
    requester = create_user("requester", HOST)
    response = client.post("/api/v1/orders", headers=requester.headers, json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert _orders(session) == 0


def test_unknown_municipality_is_422(client, create_user, session, sql):
    agent = create_user("agent")
    response = _order(client, agent, municipality="9999")
    assert response.status_code == 422
    assert "municipality" in response.json["errors"]
    assert _orders(session) == 0


def test_orderer_approves_and_the_signal_fires_once(client, create_user, sql):
    requester = create_user("requester", HOST)
    orderer = create_user("orderer", HOST)
    order_id = _order(client, requester).json["id"]
    with received(signals.order_approved) as approved:
        first = client.post(f"/api/v1/orders/{order_id}/approve", headers=orderer.headers)
        second = client.post(f"/api/v1/orders/{order_id}/approve", headers=orderer.headers)
    assert first.status_code == 200
    assert (first.json["status"], first.json["approved_by"]) == ("approved", orderer.id)
    assert second.status_code == 409
    assert "cancelled, fulfilled" in second.json["detail"]
    assert approved == [(order_id, "approved", orderer.id)]


def test_orderer_of_another_municipality_gets_404(client, create_user, sql):
    requester = create_user("requester", HOST)
    stranger = create_user("orderer", OTHER)
    order_id = _order(client, requester).json["id"]
    assert (
        client.post(f"/api/v1/orders/{order_id}/approve", headers=stranger.headers).status_code
        == 404
    )
    assert client.get(f"/api/v1/orders/{order_id}", headers=stranger.headers).status_code == 404


@pytest.mark.parametrize("role", ["requester", "agent", "catalogue_manager"])
def test_only_orderers_approve(client, create_user, sql, role):
    requester = create_user("requester", HOST)
    order_id = _order(client, requester).json["id"]
    other = create_user(role, HOST if role == "requester" else None)
    assert (
        client.post(f"/api/v1/orders/{order_id}/approve", headers=other.headers).status_code == 403
    )


def test_reject_records_the_reason_and_is_final(client, create_user, sql):
    requester = create_user("requester", HOST)
    orderer = create_user("orderer", HOST)
    order_id = _order(client, requester).json["id"]
    rejected = client.post(
        f"/api/v1/orders/{order_id}/reject",
        headers=orderer.headers,
        json={"reason": "Ikkje budsjett i år"},
    )
    assert (rejected.json["status"], rejected.json["reason"]) == ("rejected", "Ikkje budsjett i år")
    again = client.post(f"/api/v1/orders/{order_id}/approve", headers=orderer.headers)
    assert again.status_code == 409


def test_requester_cancels_own_pending_order(client, create_user, sql):
    requester = create_user("requester", HOST)
    order_id = _order(client, requester).json["id"]
    with received(signals.order_cancelled) as cancelled:
        response = client.post(f"/api/v1/orders/{order_id}/cancel", headers=requester.headers)
    assert response.json["status"] == "cancelled"
    assert cancelled == [(order_id, "cancelled", requester.id)]


def test_agent_fulfils_approved_order_into_a_subscription(
    client, create_user, session, sql, this_year
):
    orderer = create_user("orderer", HOST)
    agent = create_user("agent")
    order_id = _order(client, orderer, quantity=2).json["id"]
    with received(signals.order_fulfilled) as fulfilled:
        response = client.post(
            f"/api/v1/orders/{order_id}/fulfil",
            headers=agent.headers,
            json={"start_on": f"{this_year}-03-01"},
        )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["status"], body["start_on"], body["fulfilled_by"]) == (
        "fulfilled",
        f"{this_year}-03-01",
        agent.id,
    )
    assert fulfilled == [(order_id, "fulfilled", agent.id)]
    subscription = session.get(Subscription, body["subscription_id"])
    assert (subscription.municipality_number, subscription.quantity) == (HOST, 2)


def test_second_order_grows_the_subscription_from_its_start(client, create_user, sql, this_year):
    orderer = create_user("orderer", HOST)
    agent = create_user("agent")
    ids = [_order(client, orderer, quantity=q).json["id"] for q in (2, 3)]
    first = client.post(
        f"/api/v1/orders/{ids[0]}/fulfil",
        headers=agent.headers,
        json={"start_on": f"{this_year}-01-01"},
    ).json
    second = client.post(
        f"/api/v1/orders/{ids[1]}/fulfil",
        headers=agent.headers,
        json={"start_on": f"{this_year}-06-01"},
    ).json
    assert first["subscription_id"] == second["subscription_id"]
    subscription = client.get(
        f"/api/v1/subscriptions/{first['subscription_id']}", headers=agent.headers
    ).json
    assert subscription["quantity"] == 5
    assert [(c["effective_on"], c["quantity"]) for c in subscription["changes"]] == [
        (f"{this_year}-01-01", 2),
        (f"{this_year}-06-01", 5),
    ]


def test_fulfil_needs_an_approved_order_and_an_agent(client, create_user, sql, this_year):
    requester = create_user("requester", HOST)
    orderer = create_user("orderer", HOST)
    agent = create_user("agent")
    order_id = _order(client, requester).json["id"]
    body = {"start_on": f"{this_year}-03-01"}
    assert (
        client.post(
            f"/api/v1/orders/{order_id}/fulfil", headers=orderer.headers, json=body
        ).status_code
        == 403
    )
    pending = client.post(f"/api/v1/orders/{order_id}/fulfil", headers=agent.headers, json=body)
    assert pending.status_code == 409
    assert "approved" in pending.json["detail"]


def test_fulfil_in_a_year_without_price_is_422_on_start_on(
    client, create_user, session, sql, this_year
):
    orderer = create_user("orderer", HOST)
    agent = create_user("agent")
    order_id = _order(client, orderer).json["id"]
    response = client.post(
        f"/api/v1/orders/{order_id}/fulfil",
        headers=agent.headers,
        json={"start_on": f"{this_year + 3}-01-01"},
    )
    assert response.status_code == 422
    assert "start_on" in response.json["errors"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0


def test_list_is_scoped_requester_own_orderer_municipality_it_all(client, create_user, sql):
    kari = create_user("requester", HOST)
    ola = create_user("requester", HOST)
    orderer = create_user("orderer", HOST)
    sunndal = create_user("orderer", OTHER)
    agent = create_user("agent")
    mine = _order(client, kari).json["id"]
    theirs = _order(client, ola).json["id"]
    other = _order(client, sunndal).json["id"]

    def ids(user, query=""):
        response = client.get(f"/api/v1/orders{query}", headers=user.headers)
        return [o["id"] for o in response.json["items"]]

    assert ids(kari) == [mine]
    assert ids(orderer) == [theirs, mine]
    assert ids(agent) == [other, theirs, mine]
    assert ids(agent, f"?municipality={OTHER}") == [other]
    assert (
        client.get(f"/api/v1/orders?municipality={OTHER}", headers=orderer.headers).status_code
        == 403
    )
    assert client.get(f"/api/v1/orders/{theirs}", headers=kari.headers).status_code == 404


def test_list_pages_newest_first(client, create_user, sql):
    orderer = create_user("orderer", HOST)
    made = [_order(client, orderer).json["id"] for _ in range(3)]
    first = client.get("/api/v1/orders?limit=2", headers=orderer.headers).json
    rest = client.get(
        f"/api/v1/orders?limit=2&cursor={first['next_cursor']}", headers=orderer.headers
    ).json
    assert [o["id"] for o in first["items"] + rest["items"]] == made[::-1]
    assert rest["next_cursor"] is None


def test_idempotency_key_replays_the_first_order(client, create_user, session, sql):
    requester = create_user("requester", HOST)
    headers = {**requester.headers, "Idempotency-Key": "bestilling-42"}
    body = {"service_code": "SQL-LIC", "quantity": 1, "note": ""}
    first = client.post("/api/v1/orders", headers=headers, json=body)
    again = client.post("/api/v1/orders", headers=headers, json=body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _orders(session) == 1
