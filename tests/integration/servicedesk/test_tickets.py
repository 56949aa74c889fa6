"""Filing tickets: numbers, priority, fields, who files for which municipality."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.support.desk import HOST, OTHER

pytestmark = pytest.mark.db

API_FIELDS = {
    "id",
    "number",
    "type",
    "title",
    "description",
    "municipality",
    "requester",
    "service_code",
    "category",
    "impact",
    "urgency",
    "priority",
    "status",
    "queue",
    "assignee",
    "created_at",
    "updated_at",
    "sla",
    "version",
    "source",
}
SLA_FIELDS = {
    "response_due",
    "resolution_due",
    "responded_at",
    "resolved_at",
    "response_breached",
    "resolution_breached",
    "paused",
}
YEAR = datetime.now(UTC).astimezone(ZoneInfo("Europe/Oslo")).year


def test_requester_files_ticket_for_own_municipality(desk, create_user):
    requester = create_user("requester", HOST)
    ticket = desk.ticket(requester)
    assert ticket["municipality"] == HOST
    assert ticket["requester"] == requester.id
    assert (ticket["status"], ticket["queue"], ticket["assignee"]) == ("new", "SERVICEDESK", None)
    assert ticket["version"] == 1


def test_ticket_has_the_contract_fields_and_the_resolution_note(desk, create_user):
    ticket = desk.ticket(create_user("requester", HOST))
    # ``resolution`` is our documented extension (docs/api-extensions.md).
    assert set(ticket) == API_FIELDS | {"resolution"}
    assert set(ticket["sla"]) == SLA_FIELDS


def test_numbers_count_per_type_and_year(desk, create_user):
    requester = create_user("requester", HOST)
    numbers = [
        desk.ticket(requester, type="incident")["number"],
        desk.ticket(requester, type="service_request")["number"],
        desk.ticket(requester, type="incident")["number"],
    ]
    assert numbers == [f"INC-{YEAR}-000001", f"REQ-{YEAR}-000001", f"INC-{YEAR}-000002"]


def test_numbers_grow_past_six_digits(desk, create_user):
    """Six digits are a minimum (PostgreSQL computes the number in SQL, SQLite in Python)."""
    requester = create_user("requester", HOST)
    desk.session.execute(
        sa.text("INSERT INTO ticket_counters (type, year, last) VALUES ('incident', :y, 999998)"),
        {"y": YEAR},
    )
    numbers = [desk.ticket(requester)["number"] for _ in range(2)]
    assert numbers == [f"INC-{YEAR}-999999", f"INC-{YEAR}-1000000"]
    stored = desk.session.execute(
        sa.text("SELECT number FROM tickets ORDER BY id DESC LIMIT 1")
    ).scalar_one()
    assert stored == f"INC-{YEAR}-1000000"


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        (1, 1, 1),
        (1, 2, 2),
        (2, 1, 2),
        (1, 3, 3),
        (2, 2, 3),
        (3, 1, 3),
        (2, 3, 4),
        (3, 2, 4),
        (3, 3, 4),
    ],
)
def test_priority_comes_from_impact_and_urgency(desk, create_user, impact, urgency, priority):
    ticket = desk.ticket(create_user("agent"), impact=impact, urgency=urgency)
    assert ticket["priority"] == priority


def test_agent_files_ticket_for_named_municipality(desk, create_user):
    ticket = desk.ticket(create_user("agent"), municipality=OTHER)
    assert ticket["municipality"] == OTHER


def test_agent_must_name_municipality(desk, create_user):
    response = desk.post_ticket(create_user("agent"), municipality=None)
    assert response.status_code == 422
    assert "municipality" in response.json["errors"]


def test_agent_places_ticket_in_queue_with_assignee(desk, create_user):
    agent = create_user("agent")
    desk.add_queue("NETTVERK")
    ticket = desk.ticket(agent, queue="NETTVERK", assignee=agent.id)
    assert (ticket["queue"], ticket["assignee"], ticket["status"]) == (
        "NETTVERK",
        agent.id,
        "assigned",
    )


def test_service_and_category_are_kept(desk, create_user, create_service):
    create_service("FAGSYS-EPJ")
    ticket = desk.ticket(
        create_user("requester", HOST), service_code="FAGSYS-EPJ", category="Journal"
    )
    assert (ticket["service_code"], ticket["category"]) == ("FAGSYS-EPJ", "Journal")


def test_create_answers_location_and_etag(desk, create_user):
    response = desk.post_ticket(create_user("requester", HOST))
    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/v1/tickets/{response.json['id']}"
    assert response.headers["ETag"]


def test_get_returns_same_etag_as_create(desk, create_user):
    requester = create_user("requester", HOST)
    created = desk.post_ticket(requester)
    read = desk.get(requester, created.json["id"])
    assert read.status_code == 200
    assert read.headers["ETag"] == created.headers["ETag"]


def test_get_with_current_etag_is_not_modified(desk, create_user):
    requester = create_user("requester", HOST)
    created = desk.post_ticket(requester)
    response = desk.client.get(
        f"/api/v1/tickets/{created.json['id']}",
        headers={**requester.headers, "If-None-Match": created.headers["ETag"]},
    )
    assert response.status_code == 304


def test_times_are_rfc3339_with_offset(desk, create_user):
    ticket = desk.ticket(create_user("requester", HOST))
    assert datetime.fromisoformat(ticket["created_at"]).utcoffset() is not None


def test_ticket_in_a_former_member_cannot_be_filed(desk, create_user, session):
    from datetime import date

    from service_catalog.models import Municipality

    agent = create_user("agent")
    former = session.get(Municipality, OTHER)
    former.left_on = date(2020, 1, 1)
    former.joined_on = date(2019, 1, 1)
    session.commit()
    response = desk.post_ticket(agent, municipality=OTHER)
    assert response.status_code == 422
    assert "municipality" in response.json["errors"]


def test_the_api_files_through_file_ticket(desk, create_user, filings):
    kari = create_user("requester", HOST)
    ticket = desk.ticket(kari)
    assert [(new.title, new.source, new.requester_id) for new in filings] == [
        (ticket["title"], "api", None)
    ]
