"""NUL characters (which PostgreSQL text cannot store) are refused at the edge, never a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db

TICKET = {
    "title": "Skriver\u0000",
    "description": "Papirstopp.",
    "type": "incident",
    "impact": 2,
    "urgency": 2,
}


def test_a_nul_in_a_json_body_is_a_422_naming_the_field(client, create_user, session):
    requester = create_user("requester", "1505")
    response = client.post("/api/v1/tickets", headers=requester.headers, json=TICKET)
    assert response.status_code == 422
    assert response.json["errors"] == {"title": ["Text may not contain NUL (\\u0000) characters."]}
    assert client.get("/api/v1/tickets", headers=requester.headers).json["items"] == []


def test_a_nul_deep_in_a_body_names_the_nested_field(client, create_user):
    admin = create_user("admin")
    body = {"position": 3, "queue": "SERVICEDESK", "match": {"keywords": ["ok", "brann\u0000mur"]}}
    response = client.post("/api/v1/routing-rules", headers=admin.headers, json=body)
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["match.keywords.1"]


def test_a_nul_in_the_query_is_a_422_naming_the_parameter(client, create_user):
    agent = create_user("agent")
    response = client.get("/api/v1/tickets?q=skriver%00", headers=agent.headers)
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["q"]


def test_a_nul_in_the_path_is_a_404(client, create_user):
    agent = create_user("agent")
    response = client.get("/api/v1/services/M365%00", headers=agent.headers)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_a_body_without_nul_passes_untouched(client, create_user):
    requester = create_user("requester", "1505")
    ok = {**TICKET, "title": "Skriver \\u0000 i teksten er lov som vanlige tegn"}
    response = client.post("/api/v1/tickets", headers=requester.headers, json=ok)
    assert response.status_code == 201
    assert response.json["title"] == ok["title"]
