"""The administration pages: members, users and tokens, routing rules with a dry run."""

from __future__ import annotations

import datetime
import re

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth.models import ApiToken, User
from service_catalog.models import Municipality, MunicipalityPopulation
from servicedesk.models import RoutingRule
from tests.support.desk import HOST, OTHER
from tests.support.portal import csrf

pytestmark = pytest.mark.db


def _duplicate_ids(html):
    """Ids given twice on a page (labels would point at the wrong field); the CSRF token's
    hidden inputs aside."""
    ids = [i for i in re.findall(r'\sid="([^"]+)"', html) if i != "csrf_token"]
    return {i for i in ids if ids.count(i) > 1}


PAGES = (
    "/admin/",
    "/admin/municipalities",
    f"/admin/municipalities/{HOST}",
    "/admin/users",
    "/admin/routing-rules",
    "/admin/routing-rules/test?title=x&type=incident&municipality=" + HOST,
)


@pytest.fixture
def admin(sign_in, desk):
    return sign_in(desk.create_user("admin"))


def _post(browser, path, data, page=None):
    token = csrf(browser.get(page or path).get_data(as_text=True))
    return browser.post(path, data={"csrf_token": token, **data})


def test_every_admin_page_opens_for_an_admin(admin):
    for path in PAGES:
        response = admin.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:500])
        assert response.get_data(as_text=True).count("<h1") == 1
        assert not _duplicate_ids(response.get_data(as_text=True)), path


@pytest.mark.parametrize("role", ["requester", "orderer", "agent", "catalogue_manager"])
def test_admin_pages_refuse_other_roles(sign_in, desk, role):
    browser = sign_in(desk.create_user(role, HOST if role in ("requester", "orderer") else None))
    for path in PAGES:
        response = browser.get(path)
        assert response.status_code == 403, path
        assert "Ingen tilgang" in response.get_data(as_text=True)
    assert "Administrasjon" not in browser.get("/").get_data(as_text=True)


def test_menu_has_administrasjon_for_admin(admin):
    page = admin.get("/").get_data(as_text=True)
    assert "Administrasjon" in page and 'href="/admin/"' in page


def test_admin_pages_need_sign_in(client, desk):
    response = client.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")


# --- members --------------------------------------------------------------------------


def test_admin_adds_a_member_by_number_with_name_from_the_official_list(admin, session):
    response = _post(admin, "/admin/municipalities", {"number": "4601", "joined_on": "2025-01-01"})
    assert response.status_code == 303
    added = session.get(Municipality, "4601")
    assert added.name == "Bergen" and added.country == "NO"
    assert added.joined_on == datetime.date(2025, 1, 1)
    assert "Bergen" in admin.get("/admin/municipalities").get_data(as_text=True)


def test_an_unknown_number_is_refused_at_the_field_and_kept(admin, session):
    response = _post(admin, "/admin/municipalities", {"number": "9999"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#number"' in page and "offisielle" in page
    assert 'value="9999"' in page
    assert session.get(Municipality, "9999") is None


def test_a_malformed_number_is_refused_in_bokmal(admin):
    response = _post(admin, "/admin/municipalities", {"number": "12a"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv et firesifret kommunenummer." in page and 'value="12a"' in page


def test_admin_sets_left_on(admin, desk, session):
    path = f"/admin/municipalities/{OTHER}"
    data = {"left_on": "2030-06-30", "sla_policy_set": "default"}
    assert _post(admin, path, data).status_code == 303
    session.expire_all()
    assert session.get(Municipality, OTHER).left_on == datetime.date(2030, 6, 30)


def test_left_on_before_joined_on_is_refused_at_the_field(admin, desk, session):
    response = _post(
        admin,
        f"/admin/municipalities/{OTHER}",
        {"left_on": "2001-01-01", "sla_policy_set": "default"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#left_on"' in page and 'value="2001-01-01"' in page
    session.expire_all()
    assert session.get(Municipality, OTHER).left_on is None


def test_admin_sets_the_mail_domains_of_a_member(admin, desk, session):
    path = f"/admin/municipalities/{HOST}"
    data = {"sla_policy_set": "default", "email_domains": "Kristiansund.kommune.no\nksu.no"}
    assert _post(admin, path, data).status_code == 303
    session.expire_all()
    assert session.get(Municipality, HOST).email_domains == [
        "kristiansund.kommune.no",
        "ksu.no",
    ]
    taken = _post(
        admin,
        f"/admin/municipalities/{OTHER}",
        {"sla_policy_set": "default", "email_domains": "ksu.no"},
    )
    assert taken.status_code == 422
    page = taken.get_data(as_text=True)
    assert 'href="#email_domains"' in page and "ksu.no" in page
    malformed = _post(admin, path, {"sla_policy_set": "default", "email_domains": "ikke et domene"})
    assert malformed.status_code == 422
    assert "Ikke et e-postdomene: ikke, et, domene." in malformed.get_data(as_text=True)


def test_admin_records_a_population_and_sees_it(admin, desk, session):
    path = f"/admin/municipalities/{HOST}/populations"
    response = _post(
        admin,
        path,
        {"year": "2025", "population": "24500", "source": "SSB 2025"},
        page=f"/admin/municipalities/{HOST}",
    )
    assert response.status_code == 303
    row = session.scalar(
        sa.select(MunicipalityPopulation).where(
            MunicipalityPopulation.municipality_number == HOST, MunicipalityPopulation.year == 2025
        )
    )
    assert row.population == 24500
    assert "SSB 2025" in admin.get(f"/admin/municipalities/{HOST}").get_data(as_text=True)


def test_a_negative_population_is_refused_and_kept(admin, desk):
    response = _post(
        admin,
        f"/admin/municipalities/{HOST}/populations",
        {"year": "2025", "population": "-5"},
        page=f"/admin/municipalities/{HOST}",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv et innbyggertall mellom 0 og 20 000 000." in page and 'value="-5"' in page


def test_an_unknown_member_page_is_not_found(admin):
    assert admin.get("/admin/municipalities/0000").status_code == 404


# --- users and tokens -----------------------------------------------------------------


def test_admin_invites_a_user(admin, desk, session):
    response = _post(
        admin,
        "/admin/users",
        {
            "email": "Kari.Nordmann@kristiansund.kommune.no",
            "name": "Kari Nordmann",
            "role": "orderer",
            "municipality": HOST,
            "language": "nn",
        },
    )
    assert response.status_code == 303
    user = session.scalar(
        sa.select(User).where(User.email == "kari.nordmann@kristiansund.kommune.no")
    )
    assert (user.role, user.municipality_number, user.language, user.name) == (
        "orderer",
        HOST,
        "nn",
        "Kari Nordmann",
    )
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "kari.nordmann@kristiansund.kommune.no" in listing and "Bestiller" in listing


def test_a_municipal_role_without_municipality_is_refused_in_bokmal_and_kept(admin, session):
    response = _post(
        admin, "/admin/users", {"email": "ola@example.no", "name": "Ola", "role": "requester"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#municipality"' in page and "hører til en kommune" in page
    assert 'value="ola@example.no"' in page
    assert session.scalar(sa.select(User).where(User.email == "ola@example.no")) is None


def test_a_malformed_email_is_refused(admin):
    response = _post(admin, "/admin/users", {"email": "ikke-en-adresse", "role": "agent"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv en gyldig e-postadresse." in page and 'value="ikke-en-adresse"' in page


def test_a_taken_email_is_a_conflict_shown_at_the_field(admin, desk):
    other = desk.create_user("agent")
    response = _post(admin, "/admin/users", {"email": other.email, "role": "agent"})
    assert response.status_code == 409
    assert 'href="#email"' in response.get_data(as_text=True)


def test_admin_changes_role_and_language(admin, desk, session):
    agent = desk.create_user("agent")
    path = f"/admin/users/{agent.id}"
    response = _post(
        admin, path, {"name": "Per", "role": "operations", "municipality": "", "language": "sv"}
    )
    assert response.status_code == 303
    session.expire_all()
    user = session.get(User, agent.id)
    assert (user.role, user.language, user.name) == ("operations", "sv", "Per")


def test_deactivation_ends_the_users_open_web_session_at_once(admin, sign_in, desk, session):
    victim = desk.create_user("requester", HOST)
    theirs = sign_in(victim)
    assert theirs.get("/tickets").status_code == 200
    response = _post(
        admin, f"/admin/users/{victim.id}/deactivate", {}, page=f"/admin/users/{victim.id}"
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(User, victim.id).active is False
    following = theirs.get("/tickets")
    assert following.status_code == 302 and following.headers["Location"].endswith("/sign-in")
    assert desk.list(victim).status_code == 401  # and the tokens are revoked


def test_a_role_change_ends_the_users_web_session(admin, sign_in, desk):
    victim = desk.create_user("agent")
    theirs = sign_in(victim)
    _post(
        admin,
        f"/admin/users/{victim.id}",
        {"name": "", "role": "operations", "municipality": "", "language": ""},
    )
    assert theirs.get("/tickets").status_code == 302


def test_token_is_shown_once_and_listed_without_its_secret(admin, desk, session):
    agent = desk.create_user("agent")
    path = f"/admin/users/{agent.id}"
    response = _post(admin, f"{path}/tokens", {"name": "skript"}, page=path)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    secret = page.split('<code class="secret">')[1].split("</code>")[0]
    assert secret.startswith("kikt_")
    assert (
        desk.list(type("U", (), {"headers": {"Authorization": f"Bearer {secret}"}})).status_code
        == 200
    )
    listing = admin.get(path).get_data(as_text=True)
    assert "skript" in listing and secret not in listing and secret[:12] in listing


def test_admin_revokes_a_token(admin, desk, session):
    agent = desk.create_user("agent")
    response = _post(
        admin, f"/admin/tokens/{agent.token_id}/revoke", {}, page=f"/admin/users/{agent.id}"
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(ApiToken, agent.token_id).revoked_at is not None
    assert desk.list(agent).status_code == 401


def test_the_last_admin_cannot_be_deactivated(sign_in, desk, session):
    me = desk.create_user("admin")
    browser = sign_in(me)
    session.execute(sa.update(User).where(User.id != me.id).values(active=False))
    session.commit()
    response = _post(browser, f"/admin/users/{me.id}/deactivate", {}, page=f"/admin/users/{me.id}")
    assert response.status_code == 409
    assert "admin" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, me.id).active is True


# --- routing rules ----------------------------------------------------------------------


def test_admin_creates_a_rule_and_the_dry_run_names_it(admin, desk, session):
    desk.add_queue("NETT", name="Nettverk")
    response = _post(
        admin,
        "/admin/routing-rules",
        {
            "position": "10",
            "name": "Nettverksfeil",
            "queue": "NETT",
            "municipality": OTHER,
            "keywords": "vpn, brannmur",
            "type": "",
            "priority": "",
            "service_code": "",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    rule = session.scalar(sa.select(RoutingRule).where(RoutingRule.name == "Nettverksfeil"))
    assert rule.queue_code == "NETT"
    assert rule.match == {"municipality": OTHER, "keywords": ["vpn", "brannmur"]}

    hit = admin.get(
        "/admin/routing-rules/test",
        query_string={
            "title": "VPN er nede",
            "description": "",
            "type": "incident",
            "municipality": OTHER,
            "impact": "2",
            "urgency": "2",
        },
    )
    assert hit.status_code == 200
    text = hit.get_data(as_text=True)
    assert "ville gått til køen NETT, etter regel Nettverksfeil" in text
    miss = admin.get(
        "/admin/routing-rules/test",
        query_string={"title": "VPN er nede", "type": "incident", "municipality": HOST},
    ).get_data(as_text=True)
    assert "ville gått til køen SERVICEDESK" in miss and "ingen regel passet" in miss


def test_the_dry_run_needs_a_title(admin, desk):
    response = admin.get(
        "/admin/routing-rules/test", query_string={"type": "incident", "municipality": HOST}
    )
    assert response.status_code == 422
    assert "Skriv en tittel." in response.get_data(as_text=True)


def test_a_rule_for_an_unknown_queue_is_refused_and_kept(admin, desk, session):
    response = _post(
        admin,
        "/admin/routing-rules",
        {"position": "abc", "name": "Skal ikke finnes", "queue": "SERVICEDESK"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#position"' in page and 'value="Skal ikke finnes"' in page
    assert (
        session.scalar(sa.select(RoutingRule).where(RoutingRule.name == "Skal ikke finnes")) is None
    )


def test_admin_reorders_and_deletes_a_rule(admin, desk, session):
    desk.add_queue("NETT")
    rule_id = desk.add_rule(5, "NETT", type="incident")
    path = f"/admin/routing-rules/{rule_id}"
    form = admin.get(path).get_data(as_text=True)
    assert 'value="5"' in form
    response = _post(
        admin,
        path,
        {"position": "1", "name": "Først", "queue": "NETT", "type": "incident"},
    )
    assert response.status_code == 303
    session.expire_all()
    rule = session.get(RoutingRule, rule_id)
    assert (rule.position, rule.name, rule.match) == (1, "Først", {"type": "incident"})
    assert _post(admin, f"{path}/delete", {}, page=path).status_code == 303
    session.expire_all()
    assert session.get(RoutingRule, rule_id) is None


# --- queues, SLA policy sets, calendars -------------------------------------------------

DESK_PAGES = (
    "/admin/desk/queues",
    "/admin/desk/queues/SERVICEDESK",
    "/admin/desk/sla-policies",
    "/admin/desk/sla-policies/default",
    "/admin/desk/calendars",
    "/admin/desk/calendars/business",
)


def test_desk_admin_pages_open_for_admin_only(admin, sign_in, desk):
    agent = sign_in(desk.create_user("agent"))
    for path in DESK_PAGES:
        response = admin.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
        assert response.get_data(as_text=True).count("<h1") == 1
        assert not _duplicate_ids(response.get_data(as_text=True)), path
        assert agent.get(path).status_code == 403, path


def test_admin_creates_a_queue_with_agents_and_makes_it_the_default(admin, desk, session):
    from servicedesk.models import Queue, QueueAgent

    agent = desk.create_user("agent")
    response = _post(
        admin,
        "/admin/desk/queues",
        {"code": "NETT", "name": "Nettverk", "auto_assign": "y", "agents": [str(agent.id)]},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    queue = session.get(Queue, "NETT")
    assert queue.auto_assign and not queue.is_default
    assert session.scalars(
        sa.select(QueueAgent.user_id).where(QueueAgent.queue_code == "NETT")
    ).all() == [agent.id]
    page = admin.get("/admin/desk/queues").get_data(as_text=True)
    assert agent.email in page
    response = _post(
        admin, "/admin/desk/queues/NETT", {"code": "NETT", "name": "Nettverk", "default": "y"}
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Queue, "NETT").is_default
    assert not session.get(Queue, "SERVICEDESK").is_default


def test_the_default_queue_cannot_be_unset_and_says_so(admin, desk, session):
    from servicedesk.models import Queue

    response = _post(
        admin, "/admin/desk/queues/SERVICEDESK", {"code": "SERVICEDESK", "name": "Servicedesk"}
    )
    assert response.status_code == 409
    assert 'href="#default"' in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Queue, "SERVICEDESK").is_default


def test_admin_replaces_a_policy_set(admin, session):
    from servicedesk.sla.models import SlaPolicy

    data = {}
    for i, (response, resolution) in enumerate([(15, 120), (30, 240), (60, 480), (120, 960)]):
        data[f"policies_{i}_response_minutes"] = str(response)
        data[f"policies_{i}_resolution_minutes"] = str(resolution)
        data[f"policies_{i}_calendar"] = "business"
    assert _post(admin, "/admin/desk/sla-policies/default", data).status_code == 303
    rows = session.scalars(
        sa.select(SlaPolicy).where(SlaPolicy.set_name == "default").order_by(SlaPolicy.priority)
    ).all()
    assert [(p.response_minutes, p.resolution_minutes) for p in rows] == [
        (15, 120),
        (30, 240),
        (60, 480),
        (120, 960),
    ]
    data["policies_2_resolution_minutes"] = "0"
    refused = _post(admin, "/admin/desk/sla-policies/default", data)
    assert refused.status_code == 422
    assert "Skriv et antall minutter, 1 eller flere." in refused.get_data(as_text=True)


def test_admin_edits_the_business_calendar_with_recurring_closures(admin, session):
    from servicedesk.sla.models import SlaCalendar

    path = "/admin/desk/calendars/business"
    assert 'value="08:00-15:30"' in admin.get(path).get_data(as_text=True)
    data = {
        "timezone": "Europe/Oslo",
        "holiday_country": "NO",
        "hours_mon": "08:00-15:30",
        "hours_tue": "08:00-15:30",
        "hours_wed": "08:00-11:30, 12:00-15:30",
        "hours_thu": "08:00-15:30",
        "hours_fri": "08:00-14:00",
        "closures": "12-24 12:00\neaster-4 12:00\n12-31",
        "extra_closed_dates": "2027-05-18",
        "special_hours": "2026-12-23: 08:00-12:00",
    }
    assert _post(admin, path, data).status_code == 303
    session.expire_all()
    calendar = session.get(SlaCalendar, "business")
    assert calendar.hours["wed"] == [["08:00", "11:30"], ["12:00", "15:30"]]
    assert "sat" not in calendar.hours
    assert {"rule": "easter-4", "closed_from": "12:00"} in calendar.closures
    assert {"rule": "12-31", "closed_from": None} in calendar.closures
    assert calendar.extra_closed_dates == ["2027-05-18"]
    listing = admin.get("/admin/desk/calendars").get_data(as_text=True)
    assert "easter-4" in listing


def test_a_bad_closure_rule_is_refused_at_its_field_and_kept(admin, session):
    from servicedesk.sla.models import SlaCalendar

    path = "/admin/desk/calendars/business"
    response = _post(
        admin,
        path,
        {"timezone": "Europe/Oslo", "hours_mon": "08:00-15:30", "closures": "julaften"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#closures"' in page and "julaften" in page
    session.expire_all()
    assert session.get(SlaCalendar, "business").hours.get("tue")


def test_a_malformed_opening_range_is_refused_in_bokmal(admin):
    response = _post(
        admin,
        "/admin/desk/calendars/business",
        {"timezone": "Europe/Oslo", "hours_mon": "hele dagen"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv tidsrom som 08:00-15:30, skilt med komma." in page
    assert 'value="hele dagen"' in page


def test_admin_creates_a_calendar(admin, session):
    from servicedesk.sla.models import SlaCalendar

    new = admin.get("/admin/desk/calendars-new", query_string={"name": "vakt"})
    assert new.status_code == 303 and new.headers["Location"].endswith("/calendars/vakt")
    response = _post(
        admin,
        "/admin/desk/calendars/vakt",
        {"timezone": "Europe/Stockholm", "hours_sat": "10:00-14:00", "holiday_country": "se"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    calendar = session.get(SlaCalendar, "vakt")
    assert calendar.hours == {"sat": [["10:00", "14:00"]]} and calendar.holiday_country == "SE"


def test_a_users_page_and_a_rules_page_open_for_admin_only(admin, sign_in, desk):
    agent = desk.create_user("agent")
    desk.add_queue("NETT")
    rule_id = desk.add_rule(3, "NETT", type="incident")
    manager = sign_in(desk.create_user("catalogue_manager"))
    for path in (f"/admin/users/{agent.id}", f"/admin/routing-rules/{rule_id}"):
        response = admin.get(path)
        assert response.status_code == 200, path
        assert not _duplicate_ids(response.get_data(as_text=True)), path
        assert manager.get(path).status_code == 403, path
    assert admin.get("/admin/users/999999").status_code == 404
    assert admin.get("/admin/routing-rules/999999").status_code == 404


def test_a_web_sign_in_counts_as_last_seen(admin, sign_in, desk, session):
    agent = desk.create_user("agent")
    row = f'href="/admin/users/{agent.id}">{agent.email}</a>'
    before = admin.get("/admin/users").get_data(as_text=True)
    assert "Aldri" in before.split(row)[1].split("</tr>")[0]
    sign_in(agent)
    session.expire_all()
    assert session.get(User, agent.id).last_seen_at is not None
    after = admin.get("/admin/users").get_data(as_text=True)
    assert "Aldri" not in after.split(row)[1].split("</tr>")[0]


def test_admin_reapplies_a_policy_set_to_open_tickets(admin, desk, session):
    from servicedesk.sla.models import SlaPolicyChange

    requester = desk.create_user("requester", HOST)
    desk.ticket(requester)
    path = "/admin/desk/sla-policies/default"
    response = _post(admin, f"{path}/reapply", {}, page=path)
    assert response.status_code == 200
    assert "Åpne saker som fikk settets frister: 1." in response.get_data(as_text=True)
    change = session.scalar(sa.select(SlaPolicyChange).where(SlaPolicyChange.action == "reapplied"))
    assert change.tickets_affected == 1
    history = admin.get(path).get_data(as_text=True)
    assert "Gitt åpne saker" in history


@pytest.mark.parametrize("path", ["/admin/desk/sla-policies-new", "/admin/desk/calendars-new"])
def test_a_bad_new_name_is_marked_at_the_field_and_kept(sign_in, desk, path):
    admin = sign_in(desk.create_user("admin"))
    response = admin.get(path, query_string={"name": "Ny Kalender!"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Ny Kalender!"' in page and 'aria-invalid="true"' in page
    assert "Bruk små bokstaver, sifre, - og _" in page
