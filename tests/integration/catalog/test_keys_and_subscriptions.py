"""Allocation keys and subscriptions over HTTP."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from service_catalog import orders
from service_catalog.models import AllocationKey, AllocationKeyShare

pytestmark = pytest.mark.db

HOST, OTHER = "1505", "1563"
IKTNH = {"name": "IKTNH", "equal_weight": "0.333", "population_weight": "0.667"}


def _keys(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(AllocationKey))


def test_first_key_becomes_the_default(client, create_user):
    manager = create_user("catalogue_manager")
    response = client.post("/api/v1/allocation-keys", headers=manager.headers, json=IKTNH)
    assert response.status_code == 201, response.json
    assert response.json == {
        "name": "IKTNH",
        "description": "",
        "kind": "weighted",
        "equal_weight": "0.333",
        "population_weight": "0.667",
        "population_year": None,
        "fixed_shares": None,
        "default": True,
        "updated_at": response.json["updated_at"],
    }


def test_a_new_default_replaces_the_old_one(client, create_user):
    manager = create_user("catalogue_manager")
    client.post("/api/v1/allocation-keys", headers=manager.headers, json=IKTNH)
    client.post(
        "/api/v1/allocation-keys",
        headers=manager.headers,
        json={
            "name": "SSIKT 50/50",
            "equal_weight": "0.5",
            "population_weight": "0.5",
            "default": True,
        },
    )
    listed = client.get("/api/v1/allocation-keys", headers=manager.headers).json["items"]
    assert {k["name"]: k["default"] for k in listed} == {"IKTNH": False, "SSIKT 50/50": True}


def test_a_key_whose_name_has_slashes_can_be_read_and_replaced(client, create_user):
    # Found by the role matrix: with <string:name> such a key was listed but never reachable.
    manager = create_user("catalogue_manager")
    key = {"name": "SSIKT 50/50", "equal_weight": "0.5", "population_weight": "0.5"}
    client.post("/api/v1/allocation-keys", headers=manager.headers, json=key)
    read = client.get("/api/v1/allocation-keys/SSIKT 50/50", headers=manager.headers)
    assert read.status_code == 200 and read.json["name"] == "SSIKT 50/50"
    replaced = client.put(
        "/api/v1/allocation-keys/SSIKT%2050/50",
        headers=manager.headers,
        json={**key, "description": "Halvt likt, halvt etter folketall"},
    )
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["description"] == "Halvt likt, halvt etter folketall"


def test_the_default_cannot_be_unset_directly(client, create_user):
    manager = create_user("catalogue_manager")
    client.post("/api/v1/allocation-keys", headers=manager.headers, json=IKTNH)
    response = client.put(
        "/api/v1/allocation-keys/IKTNH", headers=manager.headers, json={**IKTNH, "default": False}
    )
    assert response.status_code == 409


def test_fixed_shares_key_round_trips(client, create_user, orkide):
    manager = create_user("catalogue_manager")
    shares = {"1505": "0.5", "1563": "0.3", "1554": "0.2"}
    response = client.post(
        "/api/v1/allocation-keys",
        headers=manager.headers,
        json={"name": "Prosjekt", "fixed_shares": shares},
    )
    assert response.status_code == 201, response.json
    assert (response.json["kind"], response.json["fixed_shares"]) == ("fixed", shares)


def test_put_replaces_weights_with_shares(client, create_user, session, orkide):
    manager = create_user("catalogue_manager")
    client.post("/api/v1/allocation-keys", headers=manager.headers, json=IKTNH)
    response = client.put(
        "/api/v1/allocation-keys/IKTNH",
        headers=manager.headers,
        json={"fixed_shares": {"1505": "1"}},
    )
    assert response.json["kind"] == "fixed"
    assert session.scalar(sa.select(sa.func.count()).select_from(AllocationKeyShare)) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"name": "k", "equal_weight": "0.333", "population_weight": "0.666"},
            {"equal_weight", "population_weight"},
        ),
        (
            {"name": "k", "equal_weight": "0.5", "population_weight": "0.501"},
            {"equal_weight", "population_weight"},
        ),
        ({"name": "k", "equal_weight": 0.5, "population_weight": "0.5"}, {"equal_weight"}),
        ({"name": "k", "equal_weight": "-0.5", "population_weight": "1.5"}, {"equal_weight"}),
        ({"name": "k", "equal_weight": "1"}, {"population_weight"}),
        ({"name": "k"}, {"equal_weight", "population_weight"}),
        ({"name": "k", "fixed_shares": {"1505": "0.5", "1563": "0.4"}}, {"fixed_shares"}),
        (
            {"name": "k", "equal_weight": "0.33333333333", "population_weight": "0.66666666667"},
            {"equal_weight", "population_weight"},
        ),
        ({"name": "k", "fixed_shares": {"1505": "0.5", "9999": "0.5"}}, {"fixed_shares.9999"}),
        ({"name": "k", "fixed_shares": {"1505": 1}}, {"fixed_shares.1505.value"}),
        (
            {
                "name": "k",
                "fixed_shares": {"1505": "1"},
                "equal_weight": "1",
                "population_weight": "0",
            },
            {"fixed_shares"},
        ),
    ],
)
def test_bad_key_is_422_naming_the_field_and_writes_nothing(
    client, create_user, session, orkide, body, fields
):
    manager = create_user("catalogue_manager")
    response = client.post("/api/v1/allocation-keys", headers=manager.headers, json=body)
    assert response.status_code == 422, response.json
    assert fields <= set(response.json["errors"])
    assert _keys(session) == 0


@pytest.mark.parametrize("role", ["requester", "orderer", "agent", "operations"])
def test_keys_are_for_catalogue_managers(client, create_user, role):
    user = create_user(role, HOST if role in ("requester", "orderer") else None)
    assert client.get("/api/v1/allocation-keys", headers=user.headers).status_code == 403
    assert (
        client.post("/api/v1/allocation-keys", headers=user.headers, json=IKTNH).status_code == 403
    )


# --- subscriptions ---------------------------------------------------------------------


@pytest.fixture
def subscription(session, create_user, make_service, this_year):
    """Kristiansund's 2 SQL licences from 1 January, via an orderer's order fulfilled."""
    make_service("SQL-LIC", "optional")
    orderer = create_user("orderer", HOST)
    actor = Actor(orderer.id, Role.ORDERER, HOST, orderer.email)
    order = orders.place_order(session, actor, {"service_code": "SQL-LIC", "quantity": 2})
    order = orders.fulfil_order(session, SYSTEM, order.id, date(this_year, 1, 1))
    session.commit()
    return order.subscription_id


def _patch(client, user, subscription_id, body):
    url = f"/api/v1/subscriptions/{subscription_id}"
    etag = client.get(url, headers=user.headers).headers["ETag"]
    return client.patch(url, headers={**user.headers, "If-Match": etag}, json=body)


def test_orderer_changes_quantity_from_a_day(client, create_user, subscription, this_year):
    # A municipal role's change takes effect today or later (issue 15): a day ahead.
    orderer = create_user("orderer", HOST)
    response = _patch(
        client, orderer, subscription, {"quantity": 4, "effective_on": f"{this_year + 1}-02-01"}
    )
    assert response.status_code == 200, response.json
    assert [(c["effective_on"], c["quantity"]) for c in response.json["changes"]] == [
        (f"{this_year}-01-01", 2),
        (f"{this_year + 1}-02-01", 4),
    ]


def test_agent_ends_a_subscription(client, create_user, subscription, this_year):
    agent = create_user("agent")
    response = _patch(client, agent, subscription, {"end_on": f"{this_year}-07-01"})
    assert response.json["end_on"] == f"{this_year}-07-01"


def test_patch_without_if_match_is_428(client, create_user, subscription):
    agent = create_user("agent")
    response = client.patch(
        f"/api/v1/subscriptions/{subscription}", headers=agent.headers, json={"quantity": 3}
    )
    assert response.status_code == 428


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"end_on": "2000-01-01"}, "end_on"),
        ({"quantity": 3, "effective_on": "2000-01-01"}, "effective_on"),
    ],
)
def test_bad_subscription_change_is_422(client, create_user, subscription, body, field):
    agent = create_user("agent")
    response = _patch(client, agent, subscription, body)
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_other_municipality_never_sees_the_subscription(client, create_user, subscription):
    stranger = create_user("orderer", OTHER)
    assert (
        client.get(f"/api/v1/subscriptions/{subscription}", headers=stranger.headers).status_code
        == 404
    )
    listed = client.get("/api/v1/subscriptions", headers=stranger.headers).json["items"]
    assert listed == []
    filtered = client.get(f"/api/v1/subscriptions?municipality={HOST}", headers=stranger.headers)
    assert filtered.status_code == 403


def test_requester_cannot_read_subscriptions(client, create_user, subscription):
    requester = create_user("requester", HOST)
    assert client.get("/api/v1/subscriptions", headers=requester.headers).status_code == 403


def test_subscriptions_filter_by_municipality_and_active_day(
    client, create_user, subscription, this_year
):
    agent = create_user("agent")
    found = client.get(
        f"/api/v1/subscriptions?municipality={HOST}&active_on={this_year}-06-01",
        headers=agent.headers,
    ).json["items"]
    assert [s["id"] for s in found] == [subscription]
    assert (
        client.get(
            f"/api/v1/subscriptions?active_on={this_year - 1}-06-01", headers=agent.headers
        ).json["items"]
        == []
    )
