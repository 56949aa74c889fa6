"""The escalation sweep: warnings at 75 %, breaches at 100 %, each once, with history and mail."""

from __future__ import annotations

import sqlalchemy as sa

from notifications.models import Notification
from servicedesk.models import TicketHistory
from servicedesk.sla.escalation import sweep
from servicedesk.sla.models import SlaEvent, TicketSla
from tests.support.sla import oslo


def events(session, ticket):
    rows = session.scalars(
        sa.select(SlaEvent).where(SlaEvent.ticket_id == ticket.id).order_by(SlaEvent.id)
    )
    return [(e.target, e.kind, e.at) for e in rows]


def sla_history(session, ticket):
    rows = session.scalars(
        sa.select(TicketHistory)
        .where(TicketHistory.ticket_id == ticket.id, TicketHistory.field.like("sla_%"))
        .order_by(TicketHistory.id)
    )
    return [(h.field, h.new, h.at, h.actor_id) for h in rows]


def mails(session, event=None):
    stmt = sa.select(Notification).order_by(Notification.id)
    if event:
        stmt = stmt.where(Notification.event == event)
    return list(session.scalars(stmt))


def test_warning_at_three_quarters_of_the_response_target(clockwork, session):
    # P2 filed Monday 09:00: 75 % of the 60-minute response is 09:45.
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    assert sweep(session, oslo(2026, 3, 9, 9, 44))["response_warning"] == 0
    counts = sweep(session, oslo(2026, 3, 9, 9, 46))
    assert counts["response_warning"] == 1
    assert events(session, ticket) == [("response", "warning", oslo(2026, 3, 9, 9, 45))]
    assert sla_history(session, ticket) == [
        ("sla_response", "warning", oslo(2026, 3, 9, 9, 45), None)
    ]


def test_each_event_is_recorded_once(clockwork, session):
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    sweep(session, oslo(2026, 3, 9, 10, 1))
    first = events(session, ticket)
    second = sweep(session, oslo(2026, 3, 9, 10, 2))
    assert events(session, ticket) == first
    assert second["response_breach"] == second["response_warning"] == 0
    assert first == [
        ("response", "breach", oslo(2026, 3, 9, 10, 0)),
        ("response", "warning", oslo(2026, 3, 9, 9, 45)),
    ]


def test_changes_after_an_event_do_not_record_it_again(clockwork, session):
    # Breached, then raised in priority and lowered again: still one breach.
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    sweep(session, oslo(2026, 3, 9, 10, 5))
    clockwork.change(ticket, oslo(2026, 3, 9, 10, 10), impact=1, urgency=1)
    clockwork.change(ticket, oslo(2026, 3, 9, 10, 20), impact=2, urgency=1)
    sweep(session, oslo(2026, 3, 9, 10, 30))
    assert [e[:2] for e in events(session, ticket)].count(("response", "breach")) == 1
    row = session.get(TicketSla, ticket.id)
    assert row.response_breached and row.response_breach_at is None


def test_no_events_once_answered_and_resolved_in_time(clockwork, session):
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    clockwork.comment(ticket, oslo(2026, 3, 9, 9, 10))
    clockwork.change(ticket, oslo(2026, 3, 9, 9, 20), status="in_progress")
    clockwork.change(ticket, oslo(2026, 3, 9, 9, 30), status="resolved", resolution="Løst.")
    sweep(session, oslo(2026, 3, 12, 9, 0))
    assert events(session, ticket) == []


def test_late_response_between_sweeps_is_still_a_breach(clockwork, session):
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    clockwork.comment(ticket, oslo(2026, 3, 9, 10, 30))
    sweep(session, oslo(2026, 3, 9, 10, 35))
    assert ("response", "breach", oslo(2026, 3, 9, 10, 0)) in events(session, ticket)


def test_pending_ticket_is_not_escalated_while_paused(clockwork, session):
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    clockwork.change(ticket, oslo(2026, 3, 9, 9, 10), status="in_progress")
    clockwork.change(ticket, oslo(2026, 3, 9, 9, 20), status="pending")
    sweep(session, oslo(2026, 3, 16, 9, 0))
    assert events(session, ticket) == []


def test_raised_priority_is_breached_at_the_change(clockwork, session):
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0), impact=3, urgency=3)
    clockwork.change(ticket, oslo(2026, 3, 9, 12, 45), impact=1, urgency=2)
    sweep(session, oslo(2026, 3, 9, 12, 46))
    assert ("response", "breach", oslo(2026, 3, 9, 12, 45)) in events(session, ticket)


def test_breach_notifies_assignee_and_queue_agents(clockwork, session, create_user):
    other = create_user("agent")
    clockwork.queue_agents(other)
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    clockwork.change(ticket, oslo(2026, 3, 9, 9, 1), assignee=clockwork.agent.id)
    sweep(session, oslo(2026, 3, 9, 10, 1))
    breach = mails(session, "sla_breach")
    assert sorted(m.recipient for m in breach) == sorted([clockwork.agent.email, other.email])
    assert breach[0].ticket_id == ticket.id
    assert breach[0].context["number"] == ticket.number
    assert breach[0].context["target"] == "response"
    # The warning came in the same sweep as the breach: only the breach is sent.
    assert mails(session, "sla_warning") == []


def test_warning_notifies_the_assignee_only(clockwork, session, create_user):
    other = create_user("agent")
    clockwork.queue_agents(other)
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    clockwork.change(ticket, oslo(2026, 3, 9, 9, 1), assignee=clockwork.agent.id)
    sweep(session, oslo(2026, 3, 9, 9, 50))
    assert [m.recipient for m in mails(session, "sla_warning")] == [clockwork.agent.email]


def test_unassigned_warning_goes_to_the_queue(clockwork, session, create_user):
    other = create_user("agent")
    clockwork.queue_agents(other)
    clockwork.file(oslo(2026, 3, 9, 9, 0))
    sweep(session, oslo(2026, 3, 9, 9, 50))
    assert [m.recipient for m in mails(session, "sla_warning")] == [other.email]


def test_calendar_edit_moves_open_tickets_triggers(client, clockwork, session, create_user):
    ticket = clockwork.file(oslo(2026, 3, 9, 15, 0))
    # 30 minutes Monday, 30 Tuesday: due Tuesday 08:30. Then Tuesday is closed.
    assert session.get(TicketSla, ticket.id).response_breach_at == oslo(2026, 3, 10, 8, 30)
    response = client.put(
        "/api/v1/calendars/business",
        headers=create_user("admin").headers,
        json={
            "hours": {d: [["08:00", "15:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holiday_country": "NO",
            "extra_closed_dates": ["2026-03-10"],
        },
    )
    assert response.status_code == 200
    session.expire_all()
    assert session.get(TicketSla, ticket.id).stale
    counts = sweep(session, oslo(2026, 3, 10, 9, 0))
    assert counts["refreshed"] == 1 and counts["response_breach"] == 0
    assert session.get(TicketSla, ticket.id).response_breach_at == oslo(2026, 3, 11, 8, 30)


def test_sla_breach_mail_names_the_target_and_due_time(client, clockwork, session):
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    clockwork.change(ticket, oslo(2026, 3, 9, 9, 1), assignee=clockwork.agent.id)
    sweep(session, oslo(2026, 3, 9, 10, 1))
    session.commit()
    response = client.get(
        "/api/v1/notifications?event=sla_breach&limit=1", headers=clockwork.agent.headers
    )
    (item,) = response.json["items"]
    assert item["subject"] == f"[{ticket.number}] SLA brutt: responstiden er overskredet"
    assert "Fristen var 09.03.2026 10:00." in item["body"]


def test_stale_rows_wait_for_their_recompute(clockwork, session, monkeypatch):
    # A calendar edit marks the ticket stale; until recomputed, its old trigger
    # (which may no longer hold) fires nothing.
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    session.get(TicketSla, ticket.id).stale = True
    session.commit()
    monkeypatch.setattr("servicedesk.sla.escalation.refresh_stale", lambda *_a: 0)
    assert sweep(session, oslo(2026, 3, 9, 12, 0))["response_breach"] == 0
    assert session.get(TicketSla, ticket.id).response_breach_at is not None
