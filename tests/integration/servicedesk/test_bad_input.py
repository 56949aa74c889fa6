"""Bad input to the ticket endpoints: a 4xx naming the field, and nothing written."""

import pytest

from tests.support.desk import HOST, TICKET

pytestmark = pytest.mark.db


@pytest.mark.parametrize(
    ("role", "body", "status", "field"),
    [
        ("requester", {"impact": 0}, 422, "impact"),
        ("requester", {"impact": 4}, 422, "impact"),
        ("requester", {"impact": "2"}, 422, "impact"),
        ("requester", {"urgency": 5}, 422, "urgency"),
        ("requester", {"urgency": None}, 422, "urgency"),
        ("requester", {"service_code": "FINNES-IKKE"}, 422, "service_code"),
        ("agent", {"queue": "FINNES-IKKE"}, 422, "queue"),
        ("agent", {"assignee": 999_999}, 422, "assignee"),
        ("requester", {"title": "x" * 201}, 422, "title"),
        ("requester", {"title": "   "}, 422, "title"),
        ("requester", {"description": ""}, 422, "description"),
        ("requester", {"type": "problem"}, 422, "type"),
        ("requester", {"municipality": HOST}, 403, "municipality"),
        ("orderer", {"municipality": "1563"}, 403, "municipality"),
        ("requester", {"queue": "SERVICEDESK"}, 403, "queue"),
        ("requester", {"assignee": 1}, 403, "assignee"),
        ("requester", {"status": "closed"}, 422, "status"),
        ("requester", {"municipality_number": HOST}, 422, "municipality_number"),
    ],
)
def test_bad_ticket_is_refused_naming_the_field(desk, create_user, role, body, status, field):
    user = create_user(role, HOST if role in {"requester", "orderer"} else None)
    before = desk.counts()
    response = desk.post_ticket(user, **body)
    assert response.status_code == status, response.json
    assert field in response.json["errors"]
    assert response.content_type == "application/problem+json"
    assert desk.counts() == before


def test_assignee_who_is_not_an_agent_is_refused(desk, create_user):
    requester = create_user("requester", HOST)
    before = desk.counts()
    response = desk.post_ticket(create_user("agent"), assignee=requester.id)
    assert response.status_code == 422
    assert "assignee" in response.json["errors"]
    assert desk.counts() == before


def test_empty_body_names_every_required_field(desk, create_user):
    before = desk.counts()
    response = desk.client.post(
        "/api/v1/tickets", headers=create_user("requester", HOST).headers, json={}
    )
    assert response.status_code == 422
    assert {"title", "description", "type", "impact", "urgency"} <= set(response.json["errors"])
    assert desk.counts() == before


def test_missing_body_is_refused(desk, create_user):
    response = desk.client.post("/api/v1/tickets", headers=create_user("requester", HOST).headers)
    assert 400 <= response.status_code < 500
    assert response.json["errors"]


def test_malformed_json_is_400(desk, create_user):
    response = desk.client.post(
        "/api/v1/tickets",
        headers={**create_user("requester", HOST).headers, "Content-Type": "application/json"},
        data='{"title": ',
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"impact": 4}, "impact"),
        ({"urgency": 0}, "urgency"),
        ({"queue": "FINNES-IKKE"}, "queue"),
        ({"queue": None}, "queue"),
        ({"assignee": 999_999}, "assignee"),
        ({"service_code": "FINNES-IKKE"}, "service_code"),
        ({"status": "reopened"}, "status"),
        ({"title": "Ny tittel"}, "title"),
        ({"category": "x" * 101}, "category"),
        ({"resolution": "Løst"}, "resolution"),
        ({"status": "assigned"}, "assignee"),
    ],
)
def test_bad_change_is_refused_naming_the_field(desk, create_user, body, field):
    agent = create_user("agent")
    ticket = desk.ticket(create_user("requester", HOST))
    before = desk.counts()
    response = desk.patch(agent, ticket["id"], body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert desk.counts() == before
    assert desk.get(agent, ticket["id"]).json["version"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({}, "body"),
        ({"body": "x", "internal": "ja"}, "internal"),
    ],
)
def test_bad_comment_is_refused_naming_the_field(desk, create_user, body, field):
    agent = create_user("agent")
    ticket = desk.ticket(create_user("requester", HOST))
    before = desk.counts()
    response = desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/comments", headers=agent.headers, json=body
    )
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert desk.counts() == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "open"}, "status"),
        ({"priority": 5}, "priority"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"created_from": "2026-01-01T00:00:00"}, "created_from"),
        ({"assignee": "someone"}, "assignee"),
        ({"municipality": "15"}, "municipality"),
    ],
)
def test_bad_list_query_is_422_naming_the_parameter(desk, create_user, query, field):
    response = desk.list(create_user("agent"), **query)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_a_forged_cursor_is_400_naming_the_cursor(desk, create_user):
    # A cursor is the service's own token, not a field the caller fills in: 400.
    response = desk.list(create_user("agent"), cursor="not-a-cursor")
    assert response.status_code == 400, response.json
    assert list(response.json["errors"]) == ["cursor"]


def test_ticket_template_is_valid(desk, create_user):
    # Guards the tests above: without the bad field, the same body is accepted.
    assert desk.post_ticket(create_user("requester", HOST), **TICKET).status_code == 201
