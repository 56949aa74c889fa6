"""The ``sla`` of tickets: derived from their history, exact at request time, batched."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kommune_ikt.core.types import utcnow
from service_catalog.models import Service
from servicedesk.models import Ticket, TicketHistory
from servicedesk.sla.calendars import BUSINESS_DOCUMENT, spec_of
from servicedesk.sla.clock import clock_for
from servicedesk.sla.models import TicketSla
from servicedesk.sla.state import NEW_ROW_COLUMNS, apply_sla, sla_for_new, sla_views
from servicedesk.snapshot import reference
from tests.support.desk import HOST
from tests.support.sla import oslo

BUSINESS = clock_for(spec_of(BUSINESS_DOCUMENT))


def test_new_ticket_response_shows_its_due_times(client, create_user):
    requester = create_user("requester", HOST)
    response = client.post(
        "/api/v1/tickets",
        headers=requester.headers,
        json={
            "title": "Kan ikke logge på Visma",
            "description": "Feilmelding om utløpt passord.",
            "type": "incident",
            "impact": 1,
            "urgency": 2,
        },
    )
    assert response.status_code == 201, response.json
    sla = response.json["sla"]
    created = datetime.fromisoformat(response.json["created_at"])
    assert sla["response_due"] == BUSINESS.add_minutes(created, 60).isoformat()
    assert sla["resolution_due"] == BUSINESS.add_minutes(created, 240).isoformat()
    assert sla["responded_at"] is None and sla["paused"] is False


def test_easter_ticket_is_due_after_easter_monday(clockwork):
    # Filed Wednesday 1 April 2026 14:00, P2: 90 minutes on Wednesday, then
    # Maundy Thursday to Easter Monday closed: resolution due Tuesday 10:30.
    ticket = clockwork.file(oslo(2026, 4, 1, 14, 0))
    sla = clockwork.sla(ticket, oslo(2026, 4, 1, 14, 5))
    assert sla["response_due"] == oslo(2026, 4, 1, 15, 0)
    assert sla["resolution_due"] == oslo(2026, 4, 7, 10, 30)


def test_first_public_agent_comment_stops_the_response_clock(clockwork):
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    clockwork.comment(ticket, oslo(2026, 3, 9, 9, 20), "Intern notat", internal=True)
    assert clockwork.sla(ticket, oslo(2026, 3, 9, 9, 30))["responded_at"] is None
    clockwork.comment(ticket, oslo(2026, 3, 9, 9, 40))
    sla = clockwork.sla(ticket, oslo(2026, 3, 9, 12, 0))
    assert sla["responded_at"] == oslo(2026, 3, 9, 9, 40)
    assert sla["response_breached"] is False


def test_move_to_in_progress_is_the_response(clockwork):
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    clockwork.change(ticket, oslo(2026, 3, 9, 10, 30), status="in_progress")
    sla = clockwork.sla(ticket, oslo(2026, 3, 9, 12, 0))
    assert sla["responded_at"] == oslo(2026, 3, 9, 10, 30)
    assert sla["response_breached"] is True


def test_pending_over_the_weekend_pauses_resolution(clockwork):
    # P2 filed Friday 6 March 13:00; in progress 13:30; pending 14:00 (60 min
    # used) until Monday 10:00: the remaining 180 minutes end Monday 13:00.
    ticket = clockwork.file(oslo(2026, 3, 6, 13, 0))
    clockwork.change(ticket, oslo(2026, 3, 6, 13, 30), status="in_progress")
    clockwork.change(ticket, oslo(2026, 3, 6, 14, 0), status="pending")
    paused = clockwork.sla(ticket, oslo(2026, 3, 7, 12, 0))
    assert paused["paused"] is True and paused["resolution_breached"] is False
    clockwork.change(ticket, oslo(2026, 3, 9, 10, 0), status="in_progress")
    sla = clockwork.sla(ticket, oslo(2026, 3, 9, 10, 1))
    assert sla["paused"] is False
    assert sla["resolution_due"] == oslo(2026, 3, 9, 13, 0)


def test_raised_priority_keeps_the_time_used(clockwork):
    # P4 (impact 3, urgency 3) filed Monday 09:00; at 12:45 raised to P2: the
    # 225 minutes used exceed P2's 60-minute response (due at once, 12:45,
    # breached) but not its 240-minute resolution (15 minutes left: 13:00).
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0), impact=3, urgency=3)
    assert ticket.priority == 4
    clockwork.change(ticket, oslo(2026, 3, 9, 12, 45), impact=1, urgency=2)
    assert ticket.priority == 2
    sla = clockwork.sla(ticket, oslo(2026, 3, 9, 12, 50))
    assert sla["response_due"] == oslo(2026, 3, 9, 12, 45)
    assert sla["response_breached"] is True
    assert sla["resolution_due"] == oslo(2026, 3, 9, 13, 0)
    assert sla["resolution_breached"] is False


def test_resolved_then_reopened_restarts_resolution(clockwork):
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    clockwork.change(ticket, oslo(2026, 3, 9, 9, 30), status="in_progress")
    clockwork.change(ticket, oslo(2026, 3, 9, 10, 0), status="resolved", resolution="Omstart.")
    resolved = clockwork.sla(ticket, oslo(2026, 3, 10, 9, 0))
    assert resolved["resolved_at"] == oslo(2026, 3, 9, 10, 0)
    clockwork.change(ticket, oslo(2026, 3, 10, 10, 0), status="in_progress")
    sla = clockwork.sla(ticket, oslo(2026, 3, 10, 10, 5))
    assert sla["resolved_at"] is None
    assert sla["resolution_due"] == oslo(2026, 3, 10, 13, 0)


def test_p1_on_a_24x7_service_runs_through_the_night(clockwork, session):
    session.add(
        Service(
            code="EPJ-OMSORG",
            name="Elektronisk pasientjournal for pleie og omsorg",
            tier="basic",
            status="active",
            service_hours="24x7",
        )
    )
    session.commit()
    ticket = clockwork.file(oslo(2026, 3, 7, 23, 0), impact=1, urgency=1, service_code="EPJ-OMSORG")
    assert ticket.priority == 1
    sla = clockwork.sla(ticket, oslo(2026, 3, 7, 23, 1))
    assert sla["response_due"] == oslo(2026, 3, 7, 23, 15)
    assert sla["resolution_due"] == oslo(2026, 3, 8, 1, 0)
    # A P3 on the same service keeps business hours.
    p3 = clockwork.file(oslo(2026, 3, 7, 23, 0), impact=2, urgency=2, service_code="EPJ-OMSORG")
    assert clockwork.sla(p3, oslo(2026, 3, 7, 23, 1))["response_due"] == oslo(2026, 3, 9, 11, 45)


def test_sla_row_stores_the_policy_snapshot(clockwork, session):
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    row = session.get(TicketSla, ticket.id)
    assert row.policy_set == "default"
    assert row.policy["1"] == {
        "response_minutes": 15,
        "resolution_minutes": 120,
        "calendar": "business",
    }
    assert (row.priority, row.response_minutes, row.resolution_minutes) == (2, 60, 240)
    assert row.response_breach_at == oslo(2026, 3, 9, 10, 0)
    assert row.response_warn_at == oslo(2026, 3, 9, 9, 45)


def test_views_of_many_tickets_take_a_fixed_number_of_queries(clockwork, count_queries, session):
    tickets = [clockwork.file(oslo(2026, 3, 9, 9, i)) for i in range(12)]
    now = utcnow()
    with count_queries() as one:
        sla_views(session, tickets[:1], now)
    with count_queries() as many:
        views = sla_views(session, tickets, now)
    assert len(views) == 12
    assert len(many) == len(one)


def test_ticket_list_shows_breaches_without_any_job_run(client, clockwork):
    clockwork.file(oslo(2026, 3, 9, 9, 0))
    response = client.get("/api/v1/tickets", headers=clockwork.agent.headers)
    assert response.status_code == 200
    sla = response.json["items"][0]["sla"]
    assert sla["response_breached"] is True and sla["resolution_breached"] is True


def test_ticket_sla_explained(client, clockwork):
    # P2 filed Monday 9 March 09:00, in progress at 09:30, pending from 10:00.
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    clockwork.change(ticket, oslo(2026, 3, 9, 9, 30), status="in_progress")
    clockwork.change(ticket, oslo(2026, 3, 9, 10, 0), status="pending")
    response = client.get(f"/api/v1/tickets/{ticket.id}/sla", headers=clockwork.agent.headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["policy_set"], body["priority"], body["calendar"]) == ("default", 2, "business")
    assert body["paused"] is True
    assert body["response"] == {
        "target_minutes": 60,
        "used_minutes": 30.0,
        "due": "2026-03-09T09:00:00+00:00",
        "breached": False,
        "running": False,
    }
    assert body["resolution"]["used_minutes"] == 60.0
    assert body["resolution"]["running"] is False
    assert body["events"] == []


def test_ticket_sla_of_another_municipality_is_404(client, clockwork, create_user):
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    outsider = create_user("requester", "1563")
    response = client.get(f"/api/v1/tickets/{ticket.id}/sla", headers=outsider.headers)
    assert response.status_code == 404
    own = client.get(f"/api/v1/tickets/{ticket.id}/sla", headers=clockwork.requester.headers)
    assert own.status_code == 200


@pytest.mark.parametrize("service_hours", ["business", "24x7"])
@pytest.mark.parametrize("impact, urgency", [(1, 1), (1, 2), (2, 2), (3, 3)])
@pytest.mark.parametrize("auto_assign", [False, True])
def test_creation_stores_what_the_history_derives(
    clockwork, session, service_hours, impact, urgency, auto_assign
):
    """A creation computes its SLA row without reading or replaying anything
    (sla_for_new, before the write knows whether an agent is picked); recomputing
    it from the stored ticket and history (apply_sla) must change nothing."""
    session.add(Service(code="EPJ", name="Journal", tier="basic", service_hours=service_hours))
    queue = clockwork.default_queue()
    queue.auto_assign = auto_assign
    session.commit()
    clockwork.queue_agents(clockwork.agent)
    # Friday afternoon before the Easter-free weekend: the dues cross closed days.
    at = oslo(2026, 3, 6, 15, 10)
    ticket = clockwork.file(at, impact=impact, urgency=urgency, service_code="EPJ")
    assert ticket.status == ("assigned" if auto_assign else "new")
    columns = [c for c in NEW_ROW_COLUMNS if c != "computed_at"]

    def stored() -> dict:
        session.expire_all()
        row = session.get(TicketSla, ticket.id)
        return {c: getattr(row, c) for c in columns}

    filed = stored()
    apply_sla(session, session.get(Ticket, ticket.id), at)
    session.commit()
    assert stored() == filed
    new = sla_for_new(reference(session), ticket.municipality_number, "EPJ", ticket.priority, at)
    assert clockwork.sla(ticket, at) == new[1].view()


def test_new_row_has_every_column(session, create_municipality):
    create_municipality(HOST)
    now = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
    row, _ = sla_for_new(reference(session), HOST, None, 3, now)
    assert tuple(row) == NEW_ROW_COLUMNS


def test_views_count_changes_not_yet_flushed(clockwork, session):
    """The views read over Core, which does not autoflush; a status change still
    pending in the session's transaction must count, as it did through the ORM."""
    ticket = clockwork.file(oslo(2026, 3, 9, 9, 0))
    session.refresh(ticket)  # loaded, so reading it queries (and autoflushes) nothing
    at = oslo(2026, 3, 9, 9, 30)
    session.add(TicketHistory(ticket_id=ticket.id, at=at, field="status", old="new", new="pending"))
    ticket.status = "pending"
    assert clockwork.sla(ticket, oslo(2026, 3, 9, 11, 0))["paused"] is True
