"""What no column can store (NUL in text, integers beyond 32 bits) is a 422 at the edge, never a 500."""

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


# Found on PostgreSQL (SQLite stores any 64-bit integer): each was a 500 there.
@pytest.mark.parametrize(
    ("role", "method", "path", "body", "field"),
    [
        (
            "admin",
            "POST",
            "/api/v1/municipalities",
            {"number": "1554", "population": 2**40},
            "population",
        ),
        (
            "operations",
            "POST",
            "/api/v1/outages",
            {
                "service_code": "M365",
                "started_at": "2026-01-01T00:00:00Z",
                "ended_at": "2026-01-01T01:00:00Z",
                "ticket_id": 2**40,
            },
            "ticket_id",
        ),
        (
            "admin",
            "PUT",
            "/api/v1/sla-policies/default",
            {
                "policies": [
                    {"priority": p, "response_minutes": -(2**40), "resolution_minutes": 60}
                    | {"calendar": "business"}
                    for p in (1, 2, 3, 4)
                ]
            },
            "policies.0.response_minutes",
        ),
    ],
)
def test_an_integer_beyond_32_bits_is_a_422_naming_the_field(
    client, create_user, role, method, path, body, field
):
    caller = create_user(role)
    response = client.open(path, method=method, headers=caller.headers, json=body)
    assert response.status_code == 422
    assert response.json["errors"][field] == [
        "Whole numbers must lie between -2147483648 and 2147483647."
    ]


def test_the_largest_32_bit_integer_still_passes(client, create_user):
    admin = create_user("admin")
    body = {"number": "1554", "joined_on": "2019-01-01", "population": 2**31 - 1}
    response = client.post("/api/v1/municipalities", headers=admin.headers, json=body)
    assert response.status_code == 201, response.json
    assert response.json["population"] == 2**31 - 1
