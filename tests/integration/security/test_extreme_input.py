"""Input at the edges (times near year 1 or 9999, huge bodies): a clear 4xx, never a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db

SERVICE = {"code": "SEC-NETT", "name": "Nett", "tier": "optional", "status": "active"}


@pytest.fixture
def operations(client, create_user):
    manager = create_user("catalogue_manager")
    assert client.post("/api/v1/services", headers=manager.headers, json=SERVICE).status_code == 201
    return create_user("operations")


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        # Found by schemathesis: the default 30-day window before year 1 overflowed.
        ("to=0001-01-01T12:24:08Z", ["to"]),
        ("from=9999-12-30T00:00:00Z&to=9999-12-31T23:59:59Z", ["from", "to"]),
        ("from=1899-12-31T23:59:59Z", ["from"]),
    ],
)
@pytest.mark.parametrize("report", ["availability", "stability"])
def test_windows_outside_1900_to_2999_are_422(client, operations, report, query, fields):
    response = client.get(f"/api/v1/services/SEC-NETT/{report}?{query}", headers=operations.headers)
    assert response.status_code == 422
    assert sorted(response.json["errors"]) == fields


def test_the_sla_report_refuses_year_one(client, operations):
    response = client.get("/api/v1/reports/sla?to=0001-01-01T00:00:00Z", headers=operations.headers)
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["to"]


def test_an_outage_in_year_one_is_422(client, operations):
    body = {
        "service_code": "SEC-NETT",
        "started_at": "0001-01-01T00:00:00Z",
        "ended_at": "0001-01-01T01:00:00Z",
    }
    response = client.post("/api/v1/outages", headers=operations.headers, json=body)
    assert response.status_code == 422
    assert sorted(response.json["errors"]) == ["ended_at", "started_at"]


def test_times_inside_the_range_still_work(client, operations):
    query = "from=1999-01-01T00:00:00%2B01:00&to=2000-01-01T00:00:00%2B01:00"
    response = client.get(
        f"/api/v1/services/SEC-NETT/availability?{query}", headers=operations.headers
    )
    assert response.status_code == 200, response.json


def test_a_body_over_one_mebibyte_is_413_and_creates_nothing(client, create_user):
    requester = create_user("requester", "1505")
    body = {
        "title": "Stor",
        "description": "x" * (1024 * 1024),
        "type": "incident",
        "impact": 3,
        "urgency": 3,
    }
    response = client.post("/api/v1/tickets", headers=requester.headers, json=body)
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert client.get("/api/v1/tickets", headers=requester.headers).json["items"] == []
