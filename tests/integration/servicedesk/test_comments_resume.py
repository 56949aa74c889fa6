"""A pending ticket waits for the municipality's answer: any answer from its staff resumes it."""

from __future__ import annotations

import pytest

from tests.support.desk import HOST

pytestmark = pytest.mark.db


def _pending(desk, agent, requester):
    ticket = desk.ticket(requester)
    desk.change(agent, ticket["id"], assignee=agent.id)
    desk.change(agent, ticket["id"], status="in_progress")
    desk.change(agent, ticket["id"], status="pending")
    return ticket


def test_the_requesters_comment_through_the_api_resumes_a_pending_ticket(desk):
    agent = desk.create_user("agent")
    requester = desk.create_user("requester", HOST)
    ticket = _pending(desk, agent, requester)
    assert desk.comment(requester, ticket["id"], "Her er svaret").status_code == 201
    assert desk.get(agent, ticket["id"]).json["status"] == "in_progress"
    change = [h for h in desk.history(agent, ticket["id"]) if h["field"] == "status"][-1]
    assert (change["old"], change["new"]) == ("pending", "in_progress")


def test_an_agents_comment_leaves_it_pending(desk):
    agent = desk.create_user("agent")
    requester = desk.create_user("requester", HOST)
    ticket = _pending(desk, agent, requester)
    assert desk.comment(agent, ticket["id"], "Venter fortsatt på dere").status_code == 201
    assert desk.comment(agent, ticket["id"], "Notat", internal=True).status_code == 201
    assert desk.get(agent, ticket["id"]).json["status"] == "pending"
