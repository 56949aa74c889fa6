"""POST/PATCH/GET /outages: validation, overlap refusal, the P1 incident, tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servicedesk import signals
from servicedesk.models import Ticket

pytestmark = pytest.mark.db
NOW = datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def ops(create_user, create_municipality, create_service):
    create_municipality("1505")
    create_service("M365")
    return create_user("operations")


def post(client, user, **body):
    body.setdefault("service_code", "M365")
    body.setdefault("started_at", iso(NOW - timedelta(hours=2)))
    return client.post("/api/v1/outages", json=body, headers=user.headers)


def test_unplanned_outage_opens_a_p1_incident(client, session, ops):
    response = post(client, ops, description="Exchange down")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["ongoing"] is True and body["planned"] is False
    ticket = session.get(Ticket, body["ticket_id"])
    assert (ticket.type, ticket.priority, ticket.service_code) == ("incident", 1, "M365")
    assert ticket.source == "outage"


def test_planned_outage_opens_no_ticket(client, ops):
    response = post(
        client,
        ops,
        planned=True,
        started_at=iso(NOW + timedelta(days=1)),
        ended_at=iso(NOW + timedelta(days=1, hours=2)),
    )
    assert response.status_code == 201
    assert response.json["ticket_id"] is None


def test_given_ticket_is_linked_not_duplicated(client, session, ops):
    first = post(client, ops, ended_at=iso(NOW - timedelta(hours=1))).json
    count = session.query(Ticket).count()
    second = post(
        client, ops, started_at=iso(NOW - timedelta(minutes=30)), ticket_id=first["ticket_id"]
    )
    assert second.status_code == 201
    assert second.json["ticket_id"] == first["ticket_id"]
    assert session.query(Ticket).count() == count


def test_outage_ending_before_it_starts_is_422_on_ended_at(client, ops):
    response = post(client, ops, ended_at=iso(NOW - timedelta(hours=3)))
    assert response.status_code == 422
    assert "ended_at" in response.json["errors"]


def test_overlapping_outage_of_same_service_is_refused(client, ops):
    assert post(client, ops).status_code == 201
    response = post(client, ops, started_at=iso(NOW - timedelta(hours=1)))
    assert response.status_code == 422
    assert "started_at" in response.json["errors"]
    assert "refused" in response.json["detail"]


def test_adjacent_outages_do_not_overlap(client, ops):
    post(client, ops, ended_at=iso(NOW - timedelta(hours=1)))
    assert post(client, ops, started_at=iso(NOW - timedelta(hours=1))).status_code == 201


def test_unknown_service_and_municipality_are_422(client, ops):
    assert "service_code" in post(client, ops, service_code="NOPE").json["errors"]
    assert "municipalities" in post(client, ops, municipalities=["0301"]).json["errors"]


def test_unplanned_outage_in_the_future_is_422(client, ops):
    response = post(client, ops, started_at=iso(NOW + timedelta(hours=1)))
    assert response.status_code == 422
    assert "started_at" in response.json["errors"]


def test_agent_may_not_record_outages(client, create_user, ops):
    agent = create_user("agent")
    assert post(client, agent).status_code == 403


def test_patch_ends_outage_with_if_match(client, ops):
    created = post(client, ops).json
    url = f"/api/v1/outages/{created['id']}"
    etag = client.get(url, headers=ops.headers).headers["ETag"]
    assert client.patch(url, json={"ended_at": iso(NOW)}, headers=ops.headers).status_code == 428
    response = client.patch(
        url, json={"ended_at": iso(NOW)}, headers={**ops.headers, "If-Match": etag}
    )
    assert response.status_code == 200, response.json
    assert response.json["ongoing"] is False
    stale = client.patch(url, json={"description": "x"}, headers={**ops.headers, "If-Match": etag})
    assert stale.status_code == 412


def test_patch_ending_before_start_is_422(client, ops):
    created = post(client, ops).json
    url = f"/api/v1/outages/{created['id']}"
    etag = client.get(url, headers=ops.headers).headers["ETag"]
    response = client.patch(
        url,
        json={"ended_at": iso(NOW - timedelta(hours=5))},
        headers={**ops.headers, "If-Match": etag},
    )
    assert response.status_code == 422
    assert "ended_at" in response.json["errors"]


def test_municipal_user_sees_only_outages_touching_it(
    client, create_user, ops, create_municipality
):
    create_municipality("1554")
    post(client, ops, municipalities=["1554"], ended_at=iso(NOW - timedelta(hours=1)))
    post(client, ops, started_at=iso(NOW - timedelta(minutes=30)))
    requester = create_user("requester", "1505")
    listed = client.get("/api/v1/outages", headers=requester.headers).json["items"]
    assert [o["municipalities"] for o in listed] == [None]
    other = client.get("/api/v1/outages?municipality=1554", headers=requester.headers)
    assert other.status_code == 403


def test_list_filters_ongoing(client, ops):
    post(client, ops, ended_at=iso(NOW - timedelta(hours=1)))
    post(client, ops, started_at=iso(NOW - timedelta(minutes=30)))
    ongoing = client.get("/api/v1/outages?ongoing=true", headers=ops.headers).json["items"]
    assert [o["ended_at"] for o in ongoing] == [None]


def test_the_incident_is_filed_by_the_desk_on_the_outage_signal(client, session, ops, filings):
    """metrics only sends ``outage_started``; the servicedesk's receiver files the incident
    through the one creation path, in the name of the operator who recorded the outage."""
    assert signals.outage_started.receivers, "the servicedesk subscribes when the app is made"
    response = post(client, ops, description="Exchange down")
    assert response.status_code == 201, response.json
    assert [(new.source, new.requester_id, new.impact, new.urgency) for new in filings] == [
        ("outage", ops.id, 1, 1)
    ]
    assert session.get(Ticket, response.json["ticket_id"]).source == "outage"
