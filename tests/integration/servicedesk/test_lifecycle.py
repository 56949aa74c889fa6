"""The status life cycle over HTTP: transitions, resolution notes, requesters' rights."""

from datetime import timedelta

import pytest

from servicedesk.models import Ticket
from tests.support.desk import HOST

pytestmark = pytest.mark.db


@pytest.fixture
def people(create_user):
    return {
        "requester": create_user("requester", HOST),
        "agent": create_user("agent"),
    }


def statuses(history):
    return [(h["old"], h["new"]) for h in history if h["field"] == "status"]


def test_full_life_cycle_is_recorded(desk, people):
    agent, requester = people["agent"], people["requester"]
    ticket_id = desk.ticket(requester)["id"]
    desk.change(agent, ticket_id, assignee=agent.id)
    desk.change(agent, ticket_id, status="in_progress")
    desk.change(agent, ticket_id, status="pending")
    desk.change(agent, ticket_id, status="in_progress")
    resolved = desk.change(agent, ticket_id, status="resolved", resolution="Byttet trommel.")
    assert resolved["resolution"] == "Byttet trommel."
    closed = desk.change(agent, ticket_id, status="closed")
    assert closed["status"] == "closed"
    assert statuses(desk.history(agent, ticket_id)) == [
        (None, "new"),
        ("new", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "pending"),
        ("pending", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]


def test_invalid_transition_is_409_naming_allowed_ones(desk, people):
    ticket_id = desk.ticket(people["requester"])["id"]
    before = desk.counts()
    response = desk.patch(people["agent"], ticket_id, {"status": "resolved", "resolution": "x"})
    assert response.status_code == 409
    assert response.json["allowed_transitions"] == ["assigned", "in_progress", "cancelled"]
    assert desk.counts() == before


def test_resolving_needs_a_resolution_note(desk, people):
    agent = people["agent"]
    ticket_id = desk.ticket(people["requester"])["id"]
    desk.change(agent, ticket_id, status="in_progress")
    response = desk.patch(agent, ticket_id, {"status": "resolved"})
    assert response.status_code == 422
    assert "resolution" in response.json["errors"]
    assert desk.get(agent, ticket_id).json["status"] == "in_progress"


def test_assigning_a_new_ticket_makes_it_assigned(desk, people):
    agent = people["agent"]
    ticket = desk.change(agent, desk.ticket(people["requester"])["id"], assignee=agent.id)
    assert (ticket["status"], ticket["assignee"]) == ("assigned", agent.id)


def test_unassigning_an_assigned_ticket_makes_it_new(desk, people):
    agent = people["agent"]
    ticket_id = desk.ticket(people["requester"])["id"]
    desk.change(agent, ticket_id, assignee=agent.id)
    ticket = desk.change(agent, ticket_id, assignee=None)
    assert (ticket["status"], ticket["assignee"]) == ("new", None)


def test_changing_impact_recomputes_priority_with_history(desk, people):
    agent = people["agent"]
    ticket_id = desk.ticket(people["requester"], impact=3, urgency=3)["id"]
    ticket = desk.change(agent, ticket_id, impact=1, urgency=1)
    assert ticket["priority"] == 1
    fields = {h["field"]: (h["old"], h["new"]) for h in desk.history(agent, ticket_id)}
    assert fields["impact"] == (3, 1)
    assert fields["urgency"] == (3, 1)
    assert fields["priority"] == (4, 1)


def test_every_change_bumps_version_once(desk, people):
    agent = people["agent"]
    ticket_id = desk.ticket(people["requester"])["id"]
    assert desk.change(agent, ticket_id, category="Skriver", impact=1)["version"] == 2


def test_change_to_the_same_value_writes_nothing(desk, people):
    agent = people["agent"]
    ticket_id = desk.ticket(people["requester"], impact=2)["id"]
    before = desk.counts()
    assert desk.change(agent, ticket_id, impact=2)["version"] == 1
    assert desk.counts() == before


def test_requester_cancels_own_ticket(desk, people):
    requester = people["requester"]
    ticket_id = desk.ticket(requester)["id"]
    assert desk.change(requester, ticket_id, status="cancelled")["status"] == "cancelled"


def test_cancelled_ticket_cannot_be_changed(desk, people):
    requester, agent = people["requester"], people["agent"]
    ticket_id = desk.ticket(requester)["id"]
    desk.change(requester, ticket_id, status="cancelled")
    assert desk.patch(agent, ticket_id, {"status": "in_progress"}).status_code == 409
    assert desk.patch(agent, ticket_id, {"category": "Annet"}).status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"impact": 1}, "impact"),
        ({"queue": "SERVICEDESK"}, "queue"),
        ({"category": "x"}, "category"),
    ],
)
def test_requester_may_not_change_other_fields(desk, people, body, field):
    requester = people["requester"]
    ticket_id = desk.ticket(requester)["id"]
    response = desk.patch(requester, ticket_id, body)
    assert response.status_code == 403
    assert field in response.json["errors"]


def test_requester_may_not_work_the_ticket(desk, people):
    requester = people["requester"]
    ticket_id = desk.ticket(requester)["id"]
    response = desk.patch(requester, ticket_id, {"status": "in_progress"})
    assert response.status_code == 403
    assert "status" in response.json["errors"]


def _resolve(desk, agent, ticket_id, days_ago=0):
    desk.change(agent, ticket_id, status="in_progress")
    desk.change(agent, ticket_id, status="resolved", resolution="Løst ved omstart.")
    if days_ago:
        ticket = desk.session.get(Ticket, ticket_id, populate_existing=True)
        ticket.resolved_at = ticket.resolved_at - timedelta(days=days_ago)
        desk.session.commit()


def test_requester_reopens_within_fourteen_days(desk, people):
    requester, agent = people["requester"], people["agent"]
    ticket_id = desk.ticket(requester)["id"]
    _resolve(desk, agent, ticket_id, days_ago=13)
    reopened = desk.change(requester, ticket_id, status="in_progress")
    assert (reopened["status"], reopened["resolution"]) == ("in_progress", None)
    fields = [(h["field"], h["new"]) for h in desk.history(agent, ticket_id)]
    assert ("resolved_at", None) in fields


def test_reopen_after_fourteen_days_is_409(desk, people):
    requester, agent = people["requester"], people["agent"]
    ticket_id = desk.ticket(requester)["id"]
    _resolve(desk, agent, ticket_id, days_ago=15)
    response = desk.patch(requester, ticket_id, {"status": "in_progress"})
    assert response.status_code == 409
    assert response.json["allowed_transitions"] == ["closed"]


def test_orderer_cannot_cancel_a_colleagues_ticket(desk, people, create_user):
    orderer = create_user("orderer", HOST)
    ticket_id = desk.ticket(people["requester"])["id"]
    assert desk.get(orderer, ticket_id).status_code == 200
    assert desk.patch(orderer, ticket_id, {"status": "cancelled"}).status_code == 403


def test_orderer_cancels_own_ticket(desk, create_user):
    orderer = create_user("orderer", HOST)
    ticket_id = desk.ticket(orderer)["id"]
    assert desk.change(orderer, ticket_id, status="cancelled")["status"] == "cancelled"


@pytest.mark.parametrize("role", ["catalogue_manager", "operations"])
def test_it_roles_that_do_not_work_tickets_may_read_but_not_change(desk, people, create_user, role):
    user = create_user(role)
    ticket_id = desk.ticket(people["requester"])["id"]
    assert desk.get(user, ticket_id).status_code == 200
    assert desk.patch(user, ticket_id, {"status": "cancelled"}).status_code == 403


def test_move_to_in_progress_by_agent_is_the_first_response(desk, people):
    agent = people["agent"]
    ticket_id = desk.ticket(people["requester"])["id"]
    desk.change(agent, ticket_id, status="in_progress")
    responded = [h for h in desk.history(agent, ticket_id) if h["field"] == "responded_at"]
    assert len(responded) == 1 and responded[0]["actor"] == agent.id
    ticket = desk.session.get(Ticket, ticket_id, populate_existing=True)
    assert ticket.responded_at is not None
