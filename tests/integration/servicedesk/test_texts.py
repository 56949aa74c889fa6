"""Servicedesk problem details follow the caller's language (issue 15, item 10)."""

from __future__ import annotations

import pytest

from tests.support.desk import HOST

pytestmark = pytest.mark.db


def test_an_invalid_ticket_transition_reads_in_swedish_and_bokmal(desk, create_user):
    requester, agent = create_user("requester", HOST), create_user("agent")
    ticket_id = desk.ticket(requester)["id"]
    body = {"status": "closed"}
    etag = desk.etag(ticket_id)
    headers = {**agent.headers, "If-Match": etag}
    swedish = desk.client.patch(
        f"/api/v1/tickets/{ticket_id}", headers={**headers, "Accept-Language": "sv"}, json=body
    )
    assert swedish.status_code == 409
    assert swedish.json["title"] == "Konflikt"
    assert swedish.json["detail"] == (
        "Ett ärende med status new kan gå till: assigned, in_progress, cancelled; inte closed."
    )
    assert swedish.json["allowed_transitions"] == ["assigned", "in_progress", "cancelled"]
    bokmal = desk.client.patch(
        f"/api/v1/tickets/{ticket_id}", headers={**headers, "Accept-Language": "nb"}, json=body
    )
    assert bokmal.json["detail"] == (
        "En sak med status new kan gå til: assigned, in_progress, cancelled; ikke closed."
    )


def test_ticket_validation_and_refusals_read_in_the_callers_language(desk, create_user):
    requester, agent = create_user("requester", HOST), create_user("agent")
    ticket_id = desk.ticket(requester)["id"]
    desk.change(agent, ticket_id, status="in_progress")
    headers = {**agent.headers, "If-Match": desk.etag(ticket_id), "Accept-Language": "nb"}
    response = desk.client.patch(
        f"/api/v1/tickets/{ticket_id}", headers=headers, json={"status": "resolved"}
    )
    assert response.status_code == 422
    assert response.json["errors"] == {
        "resolution": ["For å løse en sak trengs en løsningsbeskrivelse."]
    }
    missing = desk.client.get(
        "/api/v1/tickets/999999", headers={**agent.headers, "Accept-Language": "sv"}
    )
    assert (missing.status_code, missing.json["detail"]) == (404, "Ärendet hittades inte.")
    internal = desk.client.post(
        f"/api/v1/tickets/{ticket_id}/comments",
        headers={**requester.headers, "Accept-Language": "sv"},
        json={"body": "hei", "internal": True},
    )
    assert internal.status_code == 403
    assert internal.json["detail"] == "Bara IT-enheten skriver interna kommentarer."
