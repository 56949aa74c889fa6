"""Comments (public and internal) and the append-only history."""

import pytest
import sqlalchemy as sa

from servicedesk.models import Ticket, TicketHistory
from tests.support.desk import HOST

pytestmark = pytest.mark.db
SECRET = "Brukeren har glemt passordet igjen, tredje gang denne uka"


@pytest.fixture
def people(create_user):
    return {
        "requester": create_user("requester", HOST),
        "orderer": create_user("orderer", HOST),
        "agent": create_user("agent"),
    }


def test_public_comment_is_shown_to_the_requester(desk, people):
    ticket_id = desk.ticket(people["requester"])["id"]
    created = desk.comment(people["agent"], ticket_id, "Vi ser på saken.")
    assert created.status_code == 201
    assert (created.json["author"], created.json["internal"]) == (people["agent"].id, False)
    listed = desk.client.get(
        f"/api/v1/tickets/{ticket_id}/comments", headers=people["requester"].headers
    ).json
    assert [c["body"] for c in listed["items"]] == ["Vi ser på saken."]


@pytest.mark.parametrize("role", ["requester", "orderer"])
def test_internal_comment_is_hidden_from_municipal_roles(desk, people, role):
    ticket_id = desk.ticket(people["requester"])["id"]
    desk.comment(people["agent"], ticket_id, SECRET, internal=True)
    desk.comment(people["agent"], ticket_id, "Vi ser på saken.")
    viewer = people[role]
    comments = desk.client.get(
        f"/api/v1/tickets/{ticket_id}/comments", headers=viewer.headers
    ).json["items"]
    assert [c["body"] for c in comments] == ["Vi ser på saken."]
    history = desk.history(viewer, ticket_id)
    assert all(SECRET not in str(h["new"]) for h in history)
    assert [h["new"] for h in history if h["field"] == "comment"] == ["Vi ser på saken."]
    assert desk.list(viewer, q="passordet").json["items"] == []


def test_internal_comment_is_shown_to_agents(desk, people):
    ticket_id = desk.ticket(people["requester"])["id"]
    desk.comment(people["agent"], ticket_id, SECRET, internal=True)
    comments = desk.client.get(
        f"/api/v1/tickets/{ticket_id}/comments", headers=people["agent"].headers
    ).json["items"]
    assert [(c["body"], c["internal"]) for c in comments] == [(SECRET, True)]
    assert any(h["new"] == SECRET for h in desk.history(people["agent"], ticket_id))


def test_internal_comment_is_not_searchable_for_anyone(desk, people):
    ticket_id = desk.ticket(people["requester"])["id"]
    desk.comment(people["agent"], ticket_id, SECRET, internal=True)
    assert desk.list(people["agent"], q="passordet").json["items"] == []


def test_requester_cannot_write_internal_comments(desk, people):
    ticket_id = desk.ticket(people["requester"])["id"]
    before = desk.counts()
    response = desk.comment(people["requester"], ticket_id, "hemmelig", internal=True)
    assert response.status_code == 403
    assert "internal" in response.json["errors"]
    assert desk.counts() == before


def test_agents_first_public_comment_is_the_first_response(desk, people):
    agent = people["agent"]
    ticket_id = desk.ticket(people["requester"])["id"]
    desk.comment(people["requester"], ticket_id, "Haster litt!")
    desk.comment(agent, ticket_id, "Internt notat", internal=True)
    assert desk.session.get(Ticket, ticket_id, populate_existing=True).responded_at is None
    desk.comment(agent, ticket_id, "Vi ser på saken.")
    desk.comment(agent, ticket_id, "Fortsatt på saken.")
    responded = [h for h in desk.history(agent, ticket_id) if h["field"] == "responded_at"]
    assert len(responded) == 1 and responded[0]["actor"] == agent.id
    ticket = desk.session.get(Ticket, ticket_id, populate_existing=True)
    assert ticket.responded_at.isoformat() == responded[0]["new"]
    assert ticket.version == 2


def test_comment_on_a_closed_ticket_is_409(desk, people):
    requester = people["requester"]
    ticket_id = desk.ticket(requester)["id"]
    desk.change(requester, ticket_id, status="cancelled")
    assert desk.comment(requester, ticket_id, "Hallo?").status_code == 409


def test_history_records_every_change_with_actor_and_time(desk, people):
    agent = people["agent"]
    ticket = desk.ticket(people["requester"])
    desk.change(agent, ticket["id"], category="Skriver", assignee=agent.id)
    desk.comment(agent, ticket["id"], "Tar denne.")
    history = desk.history(agent, ticket["id"])
    assert {"at", "actor", "field", "old", "new"} == set(history[0])
    changes = {h["field"]: h for h in history[3:]}
    assert changes["category"]["old"] is None and changes["category"]["new"] == "Skriver"
    assert changes["assignee"]["new"] == agent.id and changes["assignee"]["actor"] == agent.id
    assert changes["comment"]["new"] == "Tar denne."
    assert history[0]["at"] == ticket["created_at"]


def test_history_says_why_the_ticket_landed_in_its_queue(desk, people):
    desk.add_queue("HELSE")
    rule_id = desk.add_rule(10, "HELSE", keywords=["journal"])
    ticket_id = desk.ticket(people["requester"], title="Journal henger")["id"]
    routing = next(h for h in desk.history(people["agent"], ticket_id) if h["field"] == "routing")
    assert routing["new"]["rule"] == rule_id and routing["new"]["queue"] == "HELSE"


def test_history_pages_oldest_first(desk, people):
    agent = people["agent"]
    ticket_id = desk.ticket(people["requester"])["id"]
    for i in range(5):
        desk.comment(agent, ticket_id, f"Kommentar {i}")
    url = f"/api/v1/tickets/{ticket_id}/history?limit=3"
    first = desk.client.get(url, headers=agent.headers).json
    second = desk.client.get(url + f"&cursor={first['next_cursor']}", headers=agent.headers).json
    seen = first["items"] + second["items"]
    assert len(seen) == 6 and second["next_cursor"] is not None
    assert [h["at"] for h in seen] == sorted(h["at"] for h in seen)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE ticket_history SET field = 'x'", "DELETE FROM ticket_history"],
)
def test_history_is_append_only_in_the_database(desk, people, session, statement):
    desk.ticket(people["requester"])
    assert session.scalar(sa.select(sa.func.count()).select_from(TicketHistory)) > 0
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), session.begin_nested():
        session.execute(sa.text(statement))
