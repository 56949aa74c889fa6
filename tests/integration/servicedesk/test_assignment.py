"""Auto-assignment: the available agent of the queue with the fewest open tickets."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from notifications.models import Notification
from servicedesk.models import QueueAgent
from servicedesk.queues import pick_agent
from tests.support.desk import HOST

pytestmark = pytest.mark.db


@pytest.fixture
def agents(create_user):
    return [create_user("agent") for _ in range(3)]


@pytest.fixture
def requester(create_user):
    return create_user("requester", HOST)


def test_new_ticket_goes_to_the_agent_with_fewest_open_tickets(desk, agents, requester):
    a, b, c = agents
    desk.add_queue("DRIFT", agents=[a.id, b.id, c.id], auto_assign=True)
    # a has two open tickets, b one, c none (all placed by hand, outside the queue).
    for owner in (a, a, b):
        desk.ticket(owner, assignee=owner.id)
    desk.add_rule(1, "DRIFT", keywords=["server"])
    ticket = desk.ticket(requester, title="Server svarer ikke")
    assert (ticket["assignee"], ticket["status"]) == (c.id, "assigned")
    history = desk.history(a, ticket["id"])
    assert [(h["field"], h["actor"], h["old"], h["new"]) for h in history[-2:]] == [
        ("assignee", None, None, c.id),
        ("status", None, "new", "assigned"),
    ]


def test_the_picked_agent_is_mailed_with_the_ticket_as_assigned(desk, agents, requester):
    a, _, _ = agents
    desk.add_queue("DRIFT", agents=[a.id], auto_assign=True)
    desk.add_rule(1, "DRIFT", keywords=["server"])
    ticket = desk.ticket(requester, title="Server svarer ikke")
    mails = desk.session.execute(
        sa.select(Notification.event, Notification.recipient, Notification.context)
        .where(Notification.ticket_id == ticket["id"])
        .order_by(Notification.id)
    ).all()
    expected = {"id": ticket["id"], "number": ticket["number"], "status": "assigned"}
    assert [(event, to) for event, to, _ in mails] == [
        ("ticket_created", requester.email),
        ("ticket_assigned", a.email),
    ]
    assert all(context.items() >= expected.items() for _, _, context in mails)


def test_nobody_picked_means_no_assignment_entries_or_mail(desk, agents, requester):
    a, _, _ = agents
    desk.add_queue("DRIFT", agents=[a.id], auto_assign=True)
    desk.add_rule(1, "DRIFT", keywords=["server"])
    away = desk.client.put("/api/v1/me/availability", headers=a.headers, json={"available": False})
    assert away.status_code == 200
    ticket = desk.ticket(requester, title="Server svarer ikke")
    assert (ticket["assignee"], ticket["status"]) == (None, "new")
    assert [h["field"] for h in desk.history(a, ticket["id"])] == ["status", "routing", "queue"]
    events = desk.session.scalars(
        sa.select(Notification.event).where(Notification.ticket_id == ticket["id"])
    ).all()
    assert events == ["ticket_created"]


def test_finished_tickets_do_not_count(desk, agents):
    a, b, _ = agents
    desk.add_queue("DRIFT", agents=[a.id, b.id], auto_assign=True)
    for _ in range(2):
        done = desk.ticket(a, assignee=a.id)
        desk.change(a, done["id"], status="cancelled")
    desk.ticket(b, assignee=b.id)
    ticket = desk.ticket(a, queue="DRIFT")
    assert ticket["assignee"] == a.id


def test_ties_go_to_the_least_recently_assigned(desk, agents, requester):
    a, b, _ = agents
    desk.add_queue("DRIFT", agents=[a.id, b.id], auto_assign=True)
    desk.add_rule(1, "DRIFT")
    first = desk.ticket(requester)
    second = desk.ticket(requester)
    # Both now have one open ticket; the first one assigned is the least recent.
    desk.change(a, first["id"], status="cancelled")
    desk.change(a, second["id"], status="cancelled")
    third = desk.ticket(requester)
    assert {first["assignee"], second["assignee"]} == {a.id, b.id}
    assert third["assignee"] == first["assignee"]


def test_unavailable_agent_is_skipped(desk, agents, requester):
    a, b, _ = agents
    desk.add_queue("DRIFT", agents=[a.id, b.id], auto_assign=True)
    desk.add_rule(1, "DRIFT")
    away = desk.client.put("/api/v1/me/availability", headers=a.headers, json={"available": False})
    assert away.status_code == 200
    assert [desk.ticket(requester)["assignee"] for _ in range(3)] == [b.id, b.id, b.id]


def test_nobody_available_leaves_the_ticket_new(desk, agents, requester):
    a = agents[0]
    desk.add_queue("DRIFT", agents=[a.id], auto_assign=True)
    desk.add_rule(1, "DRIFT")
    desk.client.put("/api/v1/me/availability", headers=a.headers, json={"available": False})
    ticket = desk.ticket(requester)
    assert (ticket["queue"], ticket["assignee"], ticket["status"]) == ("DRIFT", None, "new")


def test_queue_without_auto_assign_leaves_tickets_unassigned(desk, agents, requester):
    desk.add_queue("DRIFT", agents=[agents[0].id], auto_assign=False)
    desk.add_rule(1, "DRIFT")
    assert desk.ticket(requester)["assignee"] is None


def test_assignment_is_remembered_for_the_tie_break(desk, agents, requester):
    a = agents[0]
    desk.add_queue("DRIFT", agents=[a.id], auto_assign=True)
    desk.add_rule(1, "DRIFT")
    desk.ticket(requester)
    last = desk.session.scalar(
        sa.select(QueueAgent.last_assigned_at).where(QueueAgent.user_id == a.id)
    )
    assert last is not None


OPEN = "('new', 'assigned', 'in_progress', 'pending')"


def loads(session):
    """(kept by the triggers, counted now): each agent's open tickets, zeros left out."""
    kept = dict(
        session.execute(
            sa.text("SELECT user_id, open_tickets FROM agent_loads WHERE open_tickets <> 0")
        ).all()
    )
    counted = dict(
        session.execute(
            sa.text(
                "SELECT assignee_id, count(*) FROM tickets WHERE assignee_id IS NOT NULL "
                f"AND status IN {OPEN} GROUP BY assignee_id"
            )
        ).all()
    )
    return kept, counted


def test_open_ticket_counts_follow_every_change(desk, agents, requester):
    """The counts the pick reads equal a live count after each kind of change."""
    a, b, c = agents
    desk.add_queue("DRIFT", agents=[a.id, b.id], auto_assign=True)
    desk.add_rule(1, "DRIFT")
    tickets = [desk.ticket(requester) for _ in range(4)]  # auto-assigned, two each
    kept, counted = loads(desk.session)
    assert kept == counted == {a.id: 2, b.id: 2}

    first, second, third, fourth = (t["id"] for t in tickets)
    steps = [
        (first, {"assignee": c.id}),  # moved to another agent
        (second, {"status": "in_progress"}),  # still open
        (second, {"status": "resolved", "resolution": "Byttet toner."}),  # no longer open
        (second, {"status": "in_progress"}),  # reopened
        (third, {"status": "cancelled"}),
        (fourth, {"assignee": None}),  # unassigned
    ]
    for ticket_id, change in steps:
        desk.change(a, ticket_id, **change)
        kept, counted = loads(desk.session)
        assert kept == counted, change

    desk.ticket(a, assignee=c.id, queue="DRIFT")  # placed by hand
    desk.session.execute(sa.text("UPDATE tickets SET status = 'closed' WHERE status <> 'closed'"))
    assert loads(desk.session) == ({}, {})


def test_a_ticket_moved_between_two_agents_changes_both_counts(desk, agents, requester):
    a, b, _ = agents
    ticket = desk.ticket(a, assignee=a.id)
    desk.ticket(b, assignee=b.id)
    desk.change(a, ticket["id"], assignee=b.id)
    kept, counted = loads(desk.session)
    assert kept == counted == {b.id: 2}


def test_pick_agent_on_its_own_picks_and_stamps(desk, agents):
    """queues.pick_agent outside a creation (PostgreSQL: the servicedesk_pick_agent
    function by itself) follows the same rule and notes the pick for the tie-break."""
    a, b, _ = agents
    desk.add_queue("DRIFT", agents=[a.id, b.id], auto_assign=True)
    desk.ticket(a, assignee=a.id)  # a has one open ticket, b none
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert pick_agent(desk.session, "DRIFT", now) == (b.id, b.email)
    stamped = desk.session.scalar(
        sa.select(QueueAgent.last_assigned_at).where(QueueAgent.user_id == b.id)
    )
    assert stamped == now
    assert pick_agent(desk.session, "NOSUCHQUEUE", now) is None
