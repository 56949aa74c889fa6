"""GET /services/{code}/availability and /stability, GET /reports/sla (JSON and CSV)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.db
T0 = datetime(2026, 9, 1, tzinfo=UTC)
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


@pytest.fixture
def ops(create_user):
    return create_user("operations")


def window(start=T0, end=T0 + 30 * DAY) -> str:
    return f"from={start.isoformat().replace('+', '%2B')}&to={end.isoformat().replace('+', '%2B')}"


def test_worked_example_through_the_api(client, ops, create_outage):
    create_outage("M365", T0 + 3 * DAY, T0 + 3 * DAY + 3 * HOUR)
    create_outage("M365", T0 + 10 * DAY, T0 + 10 * DAY + 2 * HOUR, planned=True)
    response = client.get(f"/api/v1/services/M365/availability?{window()}", headers=ops.headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["target"] == 0.995
    assert body["availability"] == pytest.approx(0.9958333333)
    assert body["downtime_seconds"] == 10_800
    assert body["planned_downtime_seconds"] == 7_200
    assert body["error_budget_remaining"] == pytest.approx(1 - 10_800 / 12_960)
    assert [o["counted_seconds"] for o in body["outages"]] == [10_800, 0]


def test_business_hours_service_counts_only_open_hours(client, ops, create_service, create_outage):
    create_service("ARKIV", target="0.98", hours="business")
    # Saturday 2026-09-05, a whole day down: outside the business calendar.
    saturday = datetime(2026, 9, 5, tzinfo=UTC)
    create_outage("ARKIV", saturday, saturday + DAY)
    # Monday 2026-09-07 10:00-11:00 Oslo (08:00-09:00 UTC): inside.
    monday = datetime(2026, 9, 7, 8, tzinfo=UTC)
    create_outage("ARKIV", monday, monday + HOUR)
    body = client.get(f"/api/v1/services/ARKIV/availability?{window()}", headers=ops.headers).json
    assert body["downtime_seconds"] == 3600
    # 22 working days of 7.5 h in September 2026 (no Norwegian holidays), 1-30 Sep.
    assert body["window_seconds"] == 22 * 7.5 * 3600


def test_availability_window_must_be_ordered(client, ops, create_service):
    create_service("M365")
    response = client.get(
        f"/api/v1/services/M365/availability?{window(T0, T0 - DAY)}", headers=ops.headers
    )
    assert response.status_code == 422
    assert "to" in response.json["errors"]


def test_unknown_service_availability_is_404(client, ops):
    assert client.get("/api/v1/services/NOPE/availability", headers=ops.headers).status_code == 404


def test_stability_reports_mttr_mtbf_and_longest(client, ops, create_outage):
    create_outage("M365", T0 + DAY, T0 + DAY + HOUR)
    longest = create_outage("M365", T0 + 5 * DAY, T0 + 5 * DAY + 3 * HOUR)
    create_outage("M365", T0 + 6 * DAY, T0 + 6 * DAY + 9 * HOUR, planned=True)
    body = client.get(
        f"/api/v1/services/M365/stability?{window(T0, T0 + 10 * DAY)}", headers=ops.headers
    ).json
    assert body["outage_count"] == 2
    assert body["downtime_seconds"] == 4 * 3600
    assert body["mttr_seconds"] == 2 * 3600
    assert body["mtbf_seconds"] == (10 * 86400 - 4 * 3600) / 2
    assert body["longest_outage_seconds"] == 3 * 3600
    assert body["longest_outage_id"] == longest.id


@pytest.fixture
def tickets_with_sla(session, create_user, create_municipality):
    """Two P1 tickets of 1505 (one response met, one breached) and one P3 of 1554."""
    from servicedesk.models import Ticket
    from servicedesk.sla.models import TicketSla

    create_municipality("1505")
    create_municipality("1554")
    requester = create_user("requester", "1505")
    made = []
    for i, (number, priority, responded, breached) in enumerate(
        [("1505", 1, True, False), ("1505", 1, False, True), ("1554", 3, True, False)]
    ):
        created = T0 + (i + 1) * HOUR
        ticket = Ticket(
            number=f"INC-2026-9{i:05d}",
            type="incident",
            title="t",
            description="d",
            municipality_number=number,
            requester_id=requester.id,
            impact=1 if priority == 1 else 2,
            urgency=1 if priority == 1 else 2,
            priority=priority,
            status="in_progress",
            queue_code="SERVICEDESK",
            responded_at=created + HOUR if responded else None,
            created_at=created,
            updated_at=created,
        )
        session.add(ticket)
        session.flush()
        session.add(
            TicketSla(
                ticket_id=ticket.id,
                policy_set="default",
                policy={},
                priority=priority,
                calendar="24x7",
                response_minutes=15,
                resolution_minutes=120,
                response_breached=breached,
            )
        )
        made.append(ticket)
    session.commit()
    return made


def test_sla_report_groups_by_municipality_and_priority(client, create_user, tickets_with_sla):
    agent = create_user("agent")
    body = client.get(f"/api/v1/reports/sla?{window()}", headers=agent.headers).json
    rows = {(r["municipality"], r["priority"]): r for r in body["rows"]}
    p1 = rows[("1505", 1)]
    assert (p1["tickets"], p1["response_met"], p1["response_breached"]) == (2, 1, 1)
    assert p1["response_compliance"] == 0.5
    assert p1["resolution_compliance"] is None
    assert rows[("1554", 3)]["response_compliance"] == 1.0


def test_sla_report_as_csv(client, create_user, tickets_with_sla):
    agent = create_user("agent")
    response = client.get(
        f"/api/v1/reports/sla?{window()}", headers={**agent.headers, "Accept": "text/csv"}
    )
    assert response.status_code == 200
    assert response.content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {(r["municipality"], r["priority"], r["tickets"]) for r in rows} == {
        ("1505", "1", "2"),
        ("1554", "3", "1"),
    }


def test_orderer_sees_only_own_municipality_in_sla_report(client, create_user, tickets_with_sla):
    orderer = create_user("orderer", "1554")
    body = client.get(f"/api/v1/reports/sla?{window()}", headers=orderer.headers).json
    assert {r["municipality"] for r in body["rows"]} == {"1554"}


def test_requester_may_not_read_sla_report(client, create_user, tickets_with_sla):
    requester = create_user("requester", "1505")
    assert client.get("/api/v1/reports/sla", headers=requester.headers).status_code == 403
