"""Ticket events write the outbox in their own transaction; GET /notifications shows it."""

from __future__ import annotations

import sqlalchemy as sa

from notifications.models import Notification
from notifications.services import enqueue
from tests.support.desk import HOST

TICKET = {
    "title": "Kan ikke logge på Visma",
    "description": "Feilmelding om utløpt passord.",
    "type": "incident",
    "impact": 2,
    "urgency": 2,
}


def post_ticket(client, user, **extra):
    response = client.post("/api/v1/tickets", headers=user.headers, json={**TICKET, **extra})
    assert response.status_code == 201, response.json
    return response.json


def listing(client, user, query=""):
    response = client.get(f"/api/v1/notifications{query}", headers=user.headers)
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_new_ticket_notifies_the_requester_in_norwegian(client, create_user):
    requester = create_user("requester", HOST)
    ticket = post_ticket(client, requester)
    (item,) = listing(client, create_user("agent"), "?event=ticket_created")
    assert item["recipient"] == requester.email
    assert item["status"] == "pending"
    assert item["ticket_id"] == ticket["id"]
    assert item["subject"] == f"[{ticket['number']}] Vi har mottatt saken din: {TICKET['title']}"


def test_assignment_public_comment_and_resolution_notify(client, create_user):
    requester = create_user("requester", HOST)
    agent = create_user("agent")
    ticket = post_ticket(client, requester)
    url = f"/api/v1/tickets/{ticket['id']}"

    def patch(body):
        etag = client.get(url, headers=agent.headers).headers["ETag"]
        response = client.patch(url, headers={**agent.headers, "If-Match": etag}, json=body)
        assert response.status_code == 200, response.json

    patch({"assignee": agent.id})
    client.post(f"{url}/comments", headers=agent.headers, json={"body": "Vi ser på det."})
    client.post(f"{url}/comments", headers=agent.headers, json={"body": "Intern", "internal": True})
    patch({"status": "in_progress"})
    patch({"status": "resolved", "resolution": "Passordet er tilbakestilt."})
    items = listing(client, agent)
    sent = sorted((i["event"], i["recipient"]) for i in items)
    assert sent == [
        ("ticket_assigned", agent.email),
        ("ticket_commented", requester.email),
        ("ticket_created", requester.email),
        ("ticket_resolved", requester.email),
    ]


def test_failed_request_leaves_no_notification(client, create_user, session):
    requester = create_user("requester", HOST)
    response = client.post(
        "/api/v1/tickets", headers=requester.headers, json={**TICKET, "impact": 9}
    )
    assert response.status_code == 422
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_municipal_roles_cannot_read_the_outbox(client, create_user):
    for user in (create_user("requester", HOST), create_user("orderer", HOST)):
        assert client.get("/api/v1/notifications", headers=user.headers).status_code == 403


def test_outbox_is_paginated_newest_first(client, create_user, session):
    for i in range(3):
        enqueue(session, "ticket_created", f"a{i}@example.no", {"number": f"INC-{i}"})
        session.flush()
    session.commit()
    agent = create_user("agent")
    first = client.get("/api/v1/notifications?limit=2", headers=agent.headers).json
    assert [i["recipient"] for i in first["items"]] == ["a2@example.no", "a1@example.no"]
    rest = client.get(
        f"/api/v1/notifications?limit=2&cursor={first['next_cursor']}", headers=agent.headers
    ).json
    assert [i["recipient"] for i in rest["items"]] == ["a0@example.no"]


def test_bad_filter_is_422(client, create_user):
    response = client.get("/api/v1/notifications?status=lost", headers=create_user("agent").headers)
    assert response.status_code == 422 and "status" in response.json["errors"]


def test_admin_retries_a_failed_notification(client, create_user, session):
    row = enqueue(session, "ticket_created", "x@example.no", {"number": "INC-1"})
    row.status, row.attempts, row.last_error = "failed", 8, "550 no such mailbox"
    session.commit()
    assert (
        client.post(
            f"/api/v1/notifications/{row.id}/retry", headers=create_user("agent").headers
        ).status_code
        == 403
    )
    response = client.post(
        f"/api/v1/notifications/{row.id}/retry", headers=create_user("admin").headers
    )
    assert response.status_code == 200
    assert response.json["status"] == "pending"
    again = client.post(
        f"/api/v1/notifications/{row.id}/retry", headers=create_user("admin").headers
    )
    assert again.status_code == 409


def test_resolution_mail_carries_the_resolution_note(client, create_user):
    requester = create_user("requester", HOST)
    agent = create_user("agent")
    ticket = post_ticket(client, requester)
    url = f"/api/v1/tickets/{ticket['id']}"
    for body in ({"status": "in_progress"}, {"status": "resolved", "resolution": "Byttet toner."}):
        etag = client.get(url, headers=agent.headers).headers["ETag"]
        response = client.patch(url, headers={**agent.headers, "If-Match": etag}, json=body)
        assert response.status_code == 200, response.json
    (item,) = listing(client, agent, "?event=ticket_resolved")
    assert "Byttet toner." in item["body"]
