"""Safe edits and retries: If-Match on PATCH, Idempotency-Key on POST /tickets."""

import pytest

from tests.support.desk import HOST

pytestmark = pytest.mark.db


@pytest.fixture
def people(create_user):
    return {"requester": create_user("requester", HOST), "agent": create_user("agent")}


def test_patch_without_if_match_is_428(desk, people):
    ticket_id = desk.ticket(people["requester"])["id"]
    response = desk.client.patch(
        f"/api/v1/tickets/{ticket_id}", headers=people["agent"].headers, json={"impact": 1}
    )
    assert response.status_code == 428
    assert desk.get(people["agent"], ticket_id).json["impact"] == 2


def test_stale_if_match_is_412_and_changes_nothing(desk, people):
    agent = people["agent"]
    ticket_id = desk.ticket(people["requester"])["id"]
    stale = desk.etag(ticket_id)
    desk.change(agent, ticket_id, category="Skriver")
    before = desk.counts()
    response = desk.patch(agent, ticket_id, {"impact": 1}, etag=stale)
    assert response.status_code == 412
    assert desk.counts() == before
    assert desk.get(agent, ticket_id).json["impact"] == 2


def test_patch_answers_the_new_etag(desk, people):
    agent = people["agent"]
    ticket_id = desk.ticket(people["requester"])["id"]
    response = desk.patch(agent, ticket_id, {"impact": 1})
    assert response.headers["ETag"] == desk.etag(ticket_id)
    again = desk.patch(agent, ticket_id, {"urgency": 1}, etag=response.headers["ETag"])
    assert again.status_code == 200


def test_comment_does_not_make_an_agents_etag_stale(desk, people):
    agent = people["agent"]
    ticket_id = desk.ticket(people["requester"])["id"]
    etag = desk.etag(ticket_id)
    desk.comment(people["requester"], ticket_id, "Noen nytt?")
    assert desk.patch(agent, ticket_id, {"impact": 1}, etag=etag).status_code == 200


def test_forbidden_role_gets_403_before_428(desk, people, create_user):
    ticket_id = desk.ticket(people["requester"])["id"]
    response = desk.client.patch(
        f"/api/v1/tickets/{ticket_id}",
        headers=create_user("operations").headers,
        json={"impact": 1},
    )
    assert response.status_code == 403


def test_idempotent_retry_returns_the_first_ticket(desk, people):
    headers = {"Idempotency-Key": "a2f4e1c0-retry"}
    first = desk.post_ticket(people["requester"], headers=headers)
    before = desk.counts()
    second = desk.post_ticket(people["requester"], headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["ETag"] == first.headers["ETag"]
    assert desk.counts() == before


def test_same_key_with_another_body_is_422(desk, people):
    headers = {"Idempotency-Key": "a2f4e1c0-other"}
    desk.post_ticket(people["requester"], headers=headers)
    before = desk.counts()
    response = desk.post_ticket(people["requester"], headers=headers, title="Noe annet")
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["errors"]
    assert desk.counts() == before


def test_same_key_from_another_caller_creates_its_own_ticket(desk, people, create_user):
    headers = {"Idempotency-Key": "shared-key"}
    first = desk.post_ticket(people["requester"], headers=headers)
    second = desk.post_ticket(create_user("requester", HOST), headers=headers)
    assert second.status_code == 201 and second.json["id"] != first.json["id"]


def test_failed_first_try_can_be_retried_with_the_same_key(desk, people):
    headers = {"Idempotency-Key": "retry-after-422"}
    assert desk.post_ticket(people["requester"], headers=headers, impact=9).status_code == 422
    assert desk.post_ticket(people["requester"], headers=headers).status_code == 201
