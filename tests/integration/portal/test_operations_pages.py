"""Operations pages: record and end outages, the status board, the SLA report."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from metrics.models import Outage
from tests.support.desk import HOST, OTHER
from tests.support.portal import csrf

pytestmark = pytest.mark.db
SERVICE = "FAGSYS-EPJ"


@pytest.fixture
def service(create_service):
    return create_service(
        SERVICE, availability_target=Decimal("0.995"), service_hours="24x7", status="active"
    )


@pytest.fixture
def zone(app):
    return ZoneInfo(app.config["SETTINGS"].timezone)


def local(moment: datetime, zone: ZoneInfo) -> str:
    """What a person types into a datetime-local field."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def record(browser, **fields):
    token = csrf(browser.get("/operations/outages").get_data(as_text=True))
    return browser.post("/operations/outages", data={"csrf_token": token, **fields})


def outage_id(response) -> int:
    found = re.search(r"recorded=(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def test_recorded_outage_shows_on_affected_homes_only_and_goes_when_ended(
    sign_in, desk, service, zone, session
):
    ops = sign_in(desk.create_user("operations"))
    affected = sign_in(desk.create_user("requester", HOST))
    unaffected = sign_in(desk.create_user("requester", OTHER))
    started = datetime.now(UTC) - timedelta(minutes=20)
    response = record(
        ops,
        service_code=SERVICE,
        started_at=local(started, zone),
        scope="some",
        municipalities=[HOST],
        description="Journalsystemet svarer ikke",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    made = session.get(Outage, outage_id(response))
    assert made.municipalities == [HOST] and not made.planned and made.ended_at is None
    assert made.started_at == started.replace(second=0, microsecond=0)  # typed local, stored UTC
    assert made.ticket_id is not None  # the unplanned outage's P1 incident
    listing = ops.get(response.headers["Location"]).get_data(as_text=True)
    assert "Journalsystemet svarer ikke" in listing and "er registrert" in listing

    home = affected.get("/").get_data(as_text=True)
    assert "Journalsystemet svarer ikke" in home and "&lt;h2" not in home
    assert "Journalsystemet svarer ikke" not in unaffected.get("/").get_data(as_text=True)

    page = ops.get(f"/operations/outages/{made.id}").get_data(as_text=True)
    ended = ops.post(
        f"/operations/outages/{made.id}",
        data={"csrf_token": csrf(page), "ended_at": local(datetime.now(UTC), zone)},
    )
    assert ended.status_code == 303
    session.expire_all()
    assert session.get(Outage, made.id).ended_at is not None
    assert "Journalsystemet svarer ikke" not in affected.get("/").get_data(as_text=True)
    assert "Nylig avsluttet" in ops.get("/operations/outages").get_data(as_text=True)
    assert "Endre når det sluttet" in ops.get(f"/operations/outages/{made.id}").get_data(
        as_text=True
    )


def test_an_unknown_outage_is_a_not_found_page(sign_in, desk):
    response = sign_in(desk.create_user("operations")).get("/operations/outages/999999")
    assert response.status_code == 404 and "<h1" in response.get_data(as_text=True)


def test_planned_work_ahead_shows_as_planned_work_on_every_home(sign_in, desk, service, zone):
    ops = sign_in(desk.create_user("operations"))
    start = datetime.now(UTC) + timedelta(days=2)
    response = record(
        ops,
        service_code=SERVICE,
        planned="y",
        started_at=local(start, zone),
        ended_at=local(start + timedelta(hours=3), zone),
        scope="all",
        description="Oppgradering av journalsystemet",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    for number in (HOST, OTHER):
        home = sign_in(desk.create_user("requester", number)).get("/").get_data(as_text=True)
        assert "Planlagt arbeid" in home and "Oppgradering av journalsystemet" in home


def test_end_before_start_is_refused_at_the_field_and_keeps_what_was_typed(
    sign_in, desk, service, zone, session
):
    ops = sign_in(desk.create_user("operations"))
    start = datetime.now(UTC) - timedelta(hours=2)
    response = record(
        ops,
        service_code=SERVICE,
        started_at=local(start, zone),
        ended_at=local(start - timedelta(hours=1), zone),
        scope="all",
        description="Feil rekkefølge",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Et avbrudd må slutte etter at det starter." in page
    assert 'href="#ended_at"' in page and 'aria-invalid="true"' in page
    assert "Feil rekkefølge" in page and local(start, zone) in page
    assert session.scalar(sa.select(sa.func.count()).select_from(Outage)) == 0


def test_unknown_service_is_refused_in_bokmal(sign_in, desk, service, zone, session):
    ops = sign_in(desk.create_user("operations"))
    response = record(
        ops,
        service_code="NOPE",
        started_at=local(datetime.now(UTC) - timedelta(hours=1), zone),
        scope="all",
        description="Hvilken tjeneste?",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ukjent tjeneste NOPE." in page and "Hvilken tjeneste?" in page
    assert session.scalar(sa.select(sa.func.count()).select_from(Outage)) == 0


def test_a_time_that_is_not_one_is_refused_and_kept(sign_in, desk, service):
    ops = sign_in(desk.create_user("operations"))
    response = record(ops, service_code=SERVICE, started_at="i går kveld", scope="all")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv dato og klokkeslett" in page and 'value="i går kveld"' in page


def test_some_municipalities_without_any_ticked_is_refused(sign_in, desk, service, zone):
    ops = sign_in(desk.create_user("operations"))
    response = record(
        ops,
        service_code=SERVICE,
        started_at=local(datetime.now(UTC) - timedelta(hours=1), zone),
        scope="some",
    )
    assert response.status_code == 422
    assert "Kryss av minst én kommune" in response.get_data(as_text=True)


def nb_percent(value: float, digits: int) -> str:
    return f"{value * 100:.{digits}f}".replace(".", ",") + "\xa0%"


def test_status_board_figures_are_the_apis(sign_in, desk, service, client, session, zone):
    operations = desk.create_user("operations")
    now = datetime.now(UTC).replace(microsecond=0)
    session.add(
        Outage(
            service_code=SERVICE,
            started_at=now - timedelta(days=2, hours=3),
            ended_at=now - timedelta(days=2),
        )
    )
    session.add(
        Outage(
            service_code=SERVICE,
            started_at=now - timedelta(days=1, hours=5),
            ended_at=now - timedelta(days=1),
            planned=True,
        )
    )
    session.commit()
    api = client.get(f"/api/v1/services/{SERVICE}/availability", headers=operations.headers).json
    assert api["downtime_seconds"] == 3 * 3600  # planned work does not count
    page = sign_in(operations).get("/operations/status").get_data(as_text=True)
    assert nb_percent(api["availability"], 3) in page
    assert nb_percent(api["error_budget_remaining"], 1) in page
    assert "99,5\xa0%" in page  # the target, with the decimals it has (as on the catalogue)
    year_start = datetime(now.astimezone(zone).year, 1, 1, tzinfo=zone)
    this_year = client.get(
        f"/api/v1/services/{SERVICE}/availability",
        query_string={"from": year_start.isoformat(), "to": now.isoformat()},
        headers=operations.headers,
    ).json
    assert nb_percent(this_year["availability"], 3) in page
    assert nb_percent(this_year["error_budget_remaining"], 1) in page
    assert "<svg" in page and "Tilgjengelighet per dag" in page and "<caption>" in page


def test_status_board_runs_the_same_few_queries_for_many_services(
    app, session, create_service, count_queries, create_user
):
    from metrics import queries

    admin = create_user("admin").actor
    now = datetime.now(UTC)

    def run() -> int:
        with count_queries() as statements:
            board = queries.get_status_board(session, admin, tz=ZoneInfo("Europe/Oslo"), now=now)
        assert len(board[0].daily) == 30
        return len(statements)

    for i in range(3):
        create_service(f"S{i:02d}", availability_target=Decimal("0.99"), status="active")
    few = run()
    for i in range(3, 30):
        create_service(f"S{i:02d}", availability_target=Decimal("0.99"), status="active")
        session.add(Outage(service_code=f"S{i:02d}", started_at=now - timedelta(days=i)))
    session.commit()
    assert run() == few <= 5


@pytest.fixture
def tickets(session, desk):
    """A P1 ticket of HOST answered in time and one too late, in September 2026."""
    from servicedesk.models import Ticket
    from servicedesk.sla.models import TicketSla

    requester = desk.create_user("requester", HOST)
    for i, breached in enumerate([False, True]):
        created = datetime(2026, 9, 10, 9 + i, tzinfo=UTC)
        ticket = Ticket(
            number=f"INC-2026-8{i:05d}",
            type="incident",
            title="t",
            description="d",
            municipality_number=HOST,
            requester_id=requester.id,
            impact=1,
            urgency=1,
            priority=1,
            status="in_progress",
            queue_code="SERVICEDESK",
            responded_at=created + timedelta(minutes=10),
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
                priority=1,
                calendar="24x7",
                response_minutes=15,
                resolution_minutes=120,
                response_breached=breached,
            )
        )
    session.commit()


def test_sla_report_page_and_its_csv_match_the_api(sign_in, desk, tickets, client):
    operations = desk.create_user("operations")
    browser = sign_in(operations)
    query = f"municipality={HOST}&from=2026-09-01&to=2026-09-30"
    page = browser.get(f"/operations/sla?{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Kristiansund" in html and nb_percent(0.5, 1) in html
    download = browser.get(f"/operations/sla?{query}&format=csv")
    assert download.status_code == 200 and download.content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [(r["municipality"], r["priority"], r["tickets"]) for r in rows] == [(HOST, "1", "2")]
    assert (rows[0]["response_met"], rows[0]["response_breached"]) == ("1", "1")
    oslo = ZoneInfo("Europe/Oslo")
    window = {
        "municipality": HOST,
        "from": datetime(2026, 9, 1, tzinfo=oslo).isoformat(),
        "to": datetime(2026, 10, 1, tzinfo=oslo).isoformat(),
    }
    api = client.get(
        "/api/v1/reports/sla",
        query_string=window,
        headers={**operations.headers, "Accept": "text/csv"},
    )
    assert api.get_data() == download.get_data()


def test_sla_report_to_before_from_names_the_field(sign_in, desk):
    browser = sign_in(desk.create_user("operations"))
    response = browser.get("/operations/sla?from=2026-09-30&to=2026-09-01")
    assert response.status_code == 422
    assert 'href="#to"' in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["requester", "orderer"])
def test_municipal_roles_may_not_open_operations_pages(sign_in, desk, role):
    browser = sign_in(desk.create_user(role, HOST))
    for path in ("/operations/outages", "/operations/status", "/operations/sla"):
        assert browser.get(path).status_code == 403
    assert browser.post("/operations/outages", data={}).status_code == 403


def test_agent_reads_the_board_but_records_no_outage(sign_in, desk, service):
    browser = sign_in(desk.create_user("agent"))
    assert browser.get("/operations/status").status_code == 200
    assert browser.get("/operations/sla").status_code == 200
    assert browser.get("/operations/outages").status_code == 403
    assert "/operations/outages" not in browser.get("/").get_data(as_text=True)
    assert "Prober" not in browser.get("/operations/status").get_data(as_text=True)


def test_sla_report_defaults_to_this_month(sign_in, desk, zone):
    page = sign_in(desk.create_user("operations")).get("/operations/sla").get_data(as_text=True)
    today = datetime.now(zone).date()
    assert today.replace(day=1).isoformat() in page and today.isoformat() in page
