"""Tenancy matrix: every ticket endpoint, every municipality-bound role, own and other tickets."""

import contextlib

import pytest

from tests.support.desk import HOST, OTHER

pytestmark = pytest.mark.db

MUNICIPAL_ROLES = ["requester", "orderer"]


def call(desk, user, endpoint, ticket_id):
    """One request to ``endpoint`` on ``ticket_id``, with a plausible If-Match where needed."""
    base = f"/api/v1/tickets/{ticket_id}"
    headers = {**user.headers, "If-Match": '"anything"'}
    if endpoint == "get":
        return desk.client.get(base, headers=user.headers)
    if endpoint == "patch":
        with contextlib.suppress(AssertionError):
            headers["If-Match"] = desk.etag(ticket_id)
        return desk.client.patch(base, headers=headers, json={"status": "cancelled"})
    if endpoint == "patch_without_if_match":
        return desk.client.patch(base, headers=user.headers, json={"status": "cancelled"})
    if endpoint == "comments":
        return desk.client.get(base + "/comments", headers=user.headers)
    if endpoint == "comment":
        return desk.client.post(base + "/comments", headers=user.headers, json={"body": "Hei"})
    if endpoint == "history":
        return desk.client.get(base + "/history", headers=user.headers)
    raise AssertionError(endpoint)


ENDPOINTS = ["get", "patch", "patch_without_if_match", "comments", "comment", "history"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", MUNICIPAL_ROLES)
def test_other_municipalitys_ticket_is_404_everywhere(desk, create_user, role, endpoint):
    owner = create_user("requester", OTHER)
    ticket_id = desk.ticket(owner)["id"]
    stranger = create_user(role, HOST)
    before = desk.counts()
    response = call(desk, stranger, endpoint, ticket_id)
    assert response.status_code == 404, response.json
    assert "Sunndal" not in response.get_data(as_text=True)
    assert desk.counts() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", MUNICIPAL_ROLES)
def test_missing_ticket_looks_the_same_as_a_foreign_one(desk, create_user, role, endpoint):
    response = call(desk, create_user(role, HOST), endpoint, 987_654)
    assert response.status_code == 404


@pytest.mark.parametrize("role", MUNICIPAL_ROLES)
def test_other_municipalitys_tickets_never_appear_in_lists_or_search(desk, create_user, role):
    desk.ticket(create_user("requester", OTHER), title="Skriveren i Sunndal")
    user = create_user(role, HOST)
    assert desk.list(user).json["items"] == []
    assert desk.list(user, q="skriveren").json["items"] == []
    assert desk.list(user, municipality=OTHER).status_code == 403


# Own municipality: (role, whose ticket) -> expected status per endpoint.
OWN = {
    ("requester", "self"): {
        "get": 200,
        "patch": 200,
        "comments": 200,
        "comment": 201,
        "history": 200,
    },
    ("requester", "colleague"): {
        "get": 404,
        "patch": 404,
        "comments": 404,
        "comment": 404,
        "history": 404,
    },
    ("orderer", "self"): {
        "get": 200,
        "patch": 200,
        "comments": 200,
        "comment": 201,
        "history": 200,
    },
    ("orderer", "colleague"): {
        "get": 200,
        "patch": 403,
        "comments": 200,
        "comment": 201,
        "history": 200,
    },
}


@pytest.mark.parametrize("endpoint", ["get", "patch", "comments", "comment", "history"])
@pytest.mark.parametrize(("role", "whose"), list(OWN))
def test_own_municipality_statuses(desk, create_user, role, whose, endpoint):
    user = create_user(role, HOST)
    owner = user if whose == "self" else create_user("requester", HOST)
    ticket_id = desk.ticket(owner)["id"]
    assert call(desk, user, endpoint, ticket_id).status_code == OWN[(role, whose)][endpoint]


@pytest.mark.parametrize("role", ["agent", "admin"])
@pytest.mark.parametrize("endpoint", ["get", "patch", "comments", "comment", "history"])
def test_it_workers_reach_every_municipality(desk, create_user, role, endpoint):
    ticket_id = desk.ticket(create_user("requester", OTHER))["id"]
    assert call(desk, create_user(role), endpoint, ticket_id).status_code in {200, 201}
