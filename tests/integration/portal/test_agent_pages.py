"""The agent's desk (/desk) and ticket page (/desk/tickets/<id>), through the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from kommune_ikt.core.types import utcnow
from portal.desk import badges, queue_views
from portal.desk.filters import Filters
from portal.desk.models import SavedView
from servicedesk.models import Ticket, TicketComment
from servicedesk.sla.clock import BusinessClock, CalendarSpec
from servicedesk.sla.models import TicketSla
from servicedesk.sla.state import apply_sla
from tests.support.desk import HOST, OTHER
from tests.support.portal import csrf

pytestmark = pytest.mark.db

ALWAYS = {
    str(p): {"response_minutes": 120, "resolution_minutes": 480, "calendar": "24x7"}
    for p in range(1, 5)
}


def _count(page: str, label: str) -> int:
    """The count shown next to a view's link in the desk's view menu."""
    found = re.search(
        re.escape(label) + r"</a>\s*<span class=\"desk-count\">(\d+) saker", page, re.S
    )
    assert found, f"no count for {label}"
    return int(found.group(1))


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-ticket="(\d+)"', page)


def _on_24x7(session, ticket_id: int, *, age: timedelta, now: datetime | None = None) -> None:
    """Put a ticket on the always-open calendar (response 2 h, resolution 8 h) as if
    filed ``age`` ago, and store its SLA triggers as the services would."""
    ticket = session.get(Ticket, ticket_id)
    ticket.created_at = (now or utcnow()) - age
    row = session.get(TicketSla, ticket_id)
    row.policy = ALWAYS
    session.flush()
    apply_sla(session, ticket, now or utcnow())
    session.commit()


def test_requester_and_orderer_get_403_on_every_desk_page(sign_in, desk):
    agent = desk.create_user("agent")
    ticket = desk.ticket(agent, municipality=HOST)
    for role in ("requester", "orderer"):
        browser = sign_in(desk.create_user(role, HOST))
        for path in ("/desk", "/desk/table", f"/desk/tickets/{ticket['id']}"):
            response = browser.get(path)
            assert response.status_code == 403, path
            assert ticket["title"] not in response.get_data(as_text=True)
        token = csrf(browser.get("/").get_data(as_text=True))
        for path in (
            f"/desk/tickets/{ticket['id']}/take",
            f"/desk/tickets/{ticket['id']}/reply",
            f"/desk/tickets/{ticket['id']}/edit",
            "/desk/bulk",
            "/desk/views",
            "/desk/views/1/delete",
            "/desk/availability",
        ):
            response = browser.post(
                path,
                data={"csrf_token": token, "version": "1", "body": "x", "ticket": ticket["id"]},
            )
            assert response.status_code == 403, path
        assert "Arbeidsflate" not in browser.get("/").get_data(as_text=True)


def test_view_counts_equal_the_tickets_each_view_lists(sign_in, desk, session):
    me = desk.create_user("agent")
    colleague = desk.create_user("agent")
    desk.add_queue("NETT")
    mine = desk.ticket(me, municipality=HOST, title="Min sak")
    desk.change(me, mine["id"], assignee=me.id)
    desk.ticket(me, municipality=OTHER, title="Ufordelt sak")
    theirs = desk.ticket(me, municipality=HOST, title="Kollegas sak", queue="NETT")
    desk.change(me, theirs["id"], assignee=colleague.id)
    waiting = desk.ticket(me, municipality=HOST, title="Venter på svar")
    desk.change(me, waiting["id"], status="in_progress")
    desk.change(me, waiting["id"], status="pending")
    browser = sign_in(me)
    page = browser.get("/desk").get_data(as_text=True)
    assert _count(page, "Mine saker") == 1 == len(_rows(page))
    for key, label, expected in (
        ("unassigned", "Ufordelte", 2),
        ("pending", "Venter", 1),
        ("queue:NETT", "Kø: Nett", 1),
        ("breached", "Brutt SLA", 0),
    ):
        listed = browser.get(f"/desk?view={key}").get_data(as_text=True)
        assert _count(page, label) == expected == len(_rows(listed)), key
    # A filtered view counts the same way as it lists.
    filtered = browser.get(f"/desk?municipality={HOST}&assignee=none").get_data(as_text=True)
    assert len(_rows(filtered)) == 1
    filtered = browser.get(f"/desk?municipality={HOST}").get_data(as_text=True)
    assert len(_rows(filtered)) == 3
    assert '<span class="desk-total">3 saker</span>' in filtered
    assert "Filtrert utvalg" in filtered


def test_counts_are_one_query_for_every_view(desk, session, count_queries):
    me = desk.create_user("agent")
    for code in ("A", "B", "C"):
        desk.add_queue(code)
    desk.ticket(me, municipality=HOST)
    actor = me.actor
    views = queue_views.desk_views(session, actor)
    with count_queries() as statements:
        counts = queue_views.count_views(session, actor, views, utcnow())
    assert len([s for s in statements if "count(" in s.lower()]) == 1
    assert counts["unassigned"] == 1 and counts["queue:A"] == 0


def test_counts_over_closed_tickets_when_a_view_asks_for_them(desk, session):
    """The counts read open tickets only when every view is open-only (the status
    index); a filter over all statuses or a closed one still counts those."""
    me = desk.create_user("agent")
    desk.add_queue("A")
    desk.ticket(me, municipality=HOST, queue="A")
    gone = desk.ticket(me, municipality=HOST, queue="A")
    desk.change(me, gone["id"], status="cancelled")
    actor, now = me.actor, utcnow()
    views = queue_views.desk_views(session, actor)
    assert queue_views.count_views(session, actor, views, now)["queue:A"] == 1
    for status, expected in (("all", 2), ("cancelled", 1), ("open", 1)):
        view = queue_views.DeskView("filter", "filter", filters=Filters(status=status, queue="A"))
        counts = queue_views.count_views(session, actor, [*views, view], now)
        assert counts["filter"] == expected and counts["queue:A"] == 1, status


def test_desk_is_sorted_by_due_time_and_pages_by_cursor(sign_in, desk, session):
    me = desk.create_user("agent")
    ids = [desk.ticket(me, municipality=HOST, title=f"Sak {i}")["id"] for i in range(3)]
    for i, ticket_id in enumerate(ids):
        _on_24x7(session, ticket_id, age=timedelta(minutes=10 * i))
    browser = sign_in(me)
    first = browser.get("/desk?view=unassigned").get_data(as_text=True)
    assert _rows(first) == [str(i) for i in reversed(ids)]
    from portal.agent import desk as desk_pages

    old, desk_pages.PAGE_SIZE = desk_pages.PAGE_SIZE, 2
    try:
        page = browser.get("/desk?view=unassigned").get_data(as_text=True)
        assert _rows(page) == [str(ids[2]), str(ids[1])]
        next_url = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
        assert _rows(browser.get(next_url).get_data(as_text=True)) == [str(ids[0])]
    finally:
        desk_pages.PAGE_SIZE = old
    assert browser.get("/desk?view=unassigned&cursor=forged").status_code == 400


def test_sla_badge_states_for_constructed_tickets(sign_in, desk, session):
    me = desk.create_user("agent")
    ok = desk.ticket(me, municipality=HOST, title="God tid")["id"]
    warning = desk.ticket(me, municipality=HOST, title="Under en time")["id"]
    urgent = desk.ticket(me, municipality=HOST, title="Haster")["id"]
    breached = desk.ticket(me, municipality=HOST, title="For sent")["id"]
    paused = desk.ticket(me, municipality=HOST, title="Venter")["id"]
    # Response target 120 minutes on 24x7: 5, 70, 100 and 150 minutes used.
    _on_24x7(session, ok, age=timedelta(minutes=5))
    _on_24x7(session, warning, age=timedelta(minutes=70))
    _on_24x7(session, urgent, age=timedelta(minutes=100))
    _on_24x7(session, breached, age=timedelta(minutes=150))
    desk.change(me, paused, status="in_progress")
    desk.change(me, paused, status="pending")
    _on_24x7(session, paused, age=timedelta(minutes=5))
    browser = sign_in(me)
    page = browser.get("/desk?view=unassigned").get_data(as_text=True)

    def badge_of(ticket_id: int, text: str) -> str:
        row = re.search(rf'<tr data-ticket="{ticket_id}".*?</tr>', text, re.S).group(0)
        return re.search(r'data-state="(\w+)"', row.split("sla-badge", 1)[1]).group(1)

    assert badge_of(ok, page) == "ok"
    assert badge_of(warning, page) == "warning"
    assert badge_of(urgent, page) == "urgent"
    assert badge_of(breached, page) == "breached"
    # Text as well as colour: the state is written out, breached time is negative.
    row = re.search(rf'<tr data-ticket="{breached}".*?</tr>', page, re.S).group(0)
    assert "Brutt" in row and "over fristen" in row and "−30 min" in row
    row = re.search(rf'<tr data-ticket="{urgent}".*?</tr>', page, re.S).group(0)
    assert "Haster" in row and "min igjen" in row
    pending = browser.get("/desk?view=pending").get_data(as_text=True)
    assert badge_of(paused, pending) == "paused"
    assert "klokka står: venter på svar" in pending
    assert _count(page, "Brudd snart") == 2
    assert _count(page, "Brutt SLA") == 1
    soon = browser.get("/desk?view=soon").get_data(as_text=True)
    assert sorted(_rows(soon)) == sorted([str(warning), str(urgent)])


def test_badge_is_paused_outside_business_hours():
    business = BusinessClock(CalendarSpec(timezone="UTC", hours=(((480, 930),),) * 5 + ((), ())))
    evening = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)  # a Thursday, closed
    due = datetime(2026, 12, 4, 8, 40, tzinfo=UTC)  # 40 business minutes away
    sla = {"responded_at": None, "response_due": due, "response_breached": False}
    badge = badges.badge("new", sla, business, evening)
    assert (badge.state, badge.pause, badge.seconds) == ("warning", "closed", 40 * 60)


def test_public_reply_and_internal_note_and_the_requester_sees_only_the_reply(
    sign_in, desk, session
):
    requester = desk.create_user("requester", HOST)
    me = desk.create_user("agent")
    ticket = desk.ticket(requester)
    browser = sign_in(me)
    url = f"/desk/tickets/{ticket['id']}"
    page = browser.get(url).get_data(as_text=True)
    form = {"csrf_token": csrf(page), "version": _version(page), "seen": _seen(page)}
    said = browser.post(url + "/reply", data={**form, "body": "Vi ser på det nå.", "internal": "0"})
    assert said.status_code == 303
    page = browser.get(url).get_data(as_text=True)
    form = {"csrf_token": csrf(page), "version": _version(page), "seen": _seen(page)}
    noted = browser.post(
        url + "/reply", data={**form, "body": "Trolig samme feil som i Sunndal.", "internal": "1"}
    )
    assert noted.status_code == 303
    page = browser.get(url).get_data(as_text=True)
    assert "Offentlig svar – innmelder ser dette" in page
    assert "Internt notat – vises ikke for innmelder" in page
    assert "Trolig samme feil som i Sunndal." in page
    comments = session.scalars(
        sa.select(TicketComment).where(TicketComment.ticket_id == ticket["id"])
    ).all()
    assert sorted(c.internal for c in comments) == [False, True]
    theirs = sign_in(requester).get(f"/tickets/{ticket['id']}").get_data(as_text=True)
    assert "Vi ser på det nå." in theirs
    assert "Trolig samme feil som i Sunndal." not in theirs


def _version(page: str) -> str:
    return re.search(r'<input type="hidden" name="version" value="(\d+)">', page).group(1)


def _seen(page: str) -> str:
    return re.search(r'<input type="hidden" name="seen" value="(\d+)">', page).group(1)


def test_stale_edit_keeps_the_text_and_says_what_changed(sign_in, desk):
    me = desk.create_user("agent")
    colleague = desk.create_user("agent")
    ticket = desk.ticket(me, municipality=HOST)
    desk.change(me, ticket["id"], status="in_progress")
    browser = sign_in(me)
    url = f"/desk/tickets/{ticket['id']}"
    page = browser.get(url).get_data(as_text=True)
    # Meanwhile a colleague raises the priority.
    desk.change(colleague, ticket["id"], impact=1, urgency=1)
    response = browser.post(
        url + "/edit",
        data={
            "csrf_token": csrf(page),
            "version": _version(page),
            "seen": _seen(page),
            "status": "resolved",
            "impact": "2",
            "urgency": "2",
            "queue": ticket["queue"],
            "assignee": "",
            "service_code": "",
            "resolution": "Byttet toner i skriveren.",
        },
    )
    assert response.status_code == 409
    stale = response.get_data(as_text=True)
    assert "Saken er endret siden du åpnet den" in stale
    assert "Omfang: 2 → 1" in stale and "Hastegrad: 2 → 1" in stale
    assert "Byttet toner i skriveren." in stale
    assert desk.get(me, ticket["id"]).json["status"] == "in_progress"
    # Sent again from the refused page (which carries the new version), it applies.
    again = browser.post(
        url + "/edit",
        data={
            "csrf_token": csrf(stale),
            "version": _version(stale),
            "seen": _seen(stale),
            "status": "resolved",
            "impact": "1",
            "urgency": "1",
            "queue": ticket["queue"],
            "assignee": "",
            "service_code": "",
            "resolution": "Byttet toner i skriveren.",
        },
    )
    assert again.status_code == 303
    assert desk.get(me, ticket["id"]).json["status"] == "resolved"


def test_refused_transition_is_shown_at_the_field_not_a_500(sign_in, desk):
    me = desk.create_user("agent")
    ticket = desk.ticket(me, municipality=HOST)
    browser = sign_in(me)
    url = f"/desk/tickets/{ticket['id']}"
    page = browser.get(url).get_data(as_text=True)
    desk.change(me, ticket["id"], status="in_progress")
    page = browser.get(url).get_data(as_text=True)
    response = browser.post(
        url + "/edit",
        data={
            "csrf_token": csrf(page),
            "version": _version(page),
            "seen": _seen(page),
            "status": "resolved",
            "impact": "2",
            "urgency": "2",
            "queue": ticket["queue"],
            "assignee": "",
            "service_code": "",
            "resolution": "",
        },
    )
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_take_assigns_the_ticket_to_me(sign_in, desk):
    me = desk.create_user("agent")
    ticket = desk.ticket(me, municipality=HOST)
    browser = sign_in(me)
    url = f"/desk/tickets/{ticket['id']}"
    page = browser.get(url).get_data(as_text=True)
    assert "Ta saken" in page
    response = browser.post(
        url + "/take", data={"csrf_token": csrf(page), "version": _version(page), "seen": ""}
    )
    assert response.status_code == 303
    after = desk.get(me, ticket["id"]).json
    assert after["assignee"] == me.id and after["status"] == "assigned"
    assert 'id="take"' not in browser.get(url).get_data(as_text=True)


def test_colleague_on_the_ticket_is_mentioned(sign_in, desk):
    me = desk.create_user("agent")
    colleague = desk.create_user("agent")
    ticket = desk.ticket(me, municipality=HOST)
    sign_in(colleague).get(f"/desk/tickets/{ticket['id']}")
    page = sign_in(me).get(f"/desk/tickets/{ticket['id']}").get_data(as_text=True)
    assert "Andre er på saken nå:" in page and "har den åpen" in page


def test_bulk_action_reports_the_refused_ticket(sign_in, desk):
    me = desk.create_user("agent")
    fine = desk.ticket(me, municipality=HOST)
    also_fine = desk.ticket(me, municipality=HOST)
    closed = desk.ticket(me, municipality=HOST)
    desk.change(me, closed["id"], status="cancelled")
    browser = sign_in(me)
    page = browser.get("/desk").get_data(as_text=True)
    response = browser.post(
        "/desk/bulk",
        data={
            "csrf_token": csrf(page),
            "action": "assign",
            "assignee": "me",
            "ticket": [str(fine["id"]), str(also_fine["id"]), str(closed["id"])],
            "back": "view=unassigned",
        },
    )
    assert response.status_code == 200
    summary = response.get_data(as_text=True)
    assert "2 utført, 1 avvist." in summary
    refused = summary.split("Avvist", 1)[1]
    assert closed["number"] in refused and "cancelled" in refused
    assert desk.get(me, fine["id"]).json["assignee"] == me.id
    assert desk.get(me, also_fine["id"]).json["assignee"] == me.id
    assert desk.get(me, closed["id"]).json["assignee"] is None


def test_bulk_without_tickets_keeps_the_note_and_says_why(sign_in, desk):
    me = desk.create_user("agent")
    browser = sign_in(me)
    page = browser.get("/desk").get_data(as_text=True)
    response = browser.post(
        "/desk/bulk",
        data={"csrf_token": csrf(page), "action": "note", "body": "Ring leverandøren"},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Kryss av minst én sak." in text and "Ring leverandøren" in text


def test_saved_view_shared_with_the_unit_or_kept_private(sign_in, desk, session):
    me = desk.create_user("agent")
    colleague = desk.create_user("agent")
    desk.ticket(me, municipality=HOST, impact=1, urgency=1)
    browser = sign_in(me)
    page = browser.get(f"/desk?municipality={HOST}&priority=1").get_data(as_text=True)
    for name, shared in (("P1 i Kristiansund", "y"), ("Mine hemmelige", None)):
        data = {"csrf_token": csrf(page), "name": name, "query": f"municipality={HOST}&priority=1"}
        if shared:
            data["shared"] = shared
        response = browser.post("/desk/views", data=data)
        assert response.status_code == 303
    saved = session.scalars(sa.select(SavedView).order_by(SavedView.id)).all()
    assert [(v.name, v.shared, v.owner_id) for v in saved] == [
        ("P1 i Kristiansund", True, me.id),
        ("Mine hemmelige", False, me.id),
    ]
    mine = browser.get(f"/desk?view=saved:{saved[0].id}").get_data(as_text=True)
    assert _count(mine, "P1 i Kristiansund") == 1 == len(_rows(mine))
    theirs = sign_in(colleague)
    their_page = theirs.get("/desk").get_data(as_text=True)
    assert "P1 i Kristiansund" in their_page and "Mine hemmelige" not in their_page
    assert theirs.get(f"/desk?view=saved:{saved[1].id}").status_code == 404
    # Only the owner may delete it.
    token = csrf(their_page)
    assert (
        theirs.post(f"/desk/views/{saved[0].id}/delete", data={"csrf_token": token}).status_code
        == 403
    )


def test_saving_a_view_without_a_name_keeps_the_filters(sign_in, desk):
    browser = sign_in(desk.create_user("agent"))
    page = browser.get(f"/desk?municipality={HOST}").get_data(as_text=True)
    response = browser.post(
        "/desk/views", data={"csrf_token": csrf(page), "name": "", "query": f"municipality={HOST}"}
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Gi visningen et navn." in text and f'value="municipality={HOST}"' in text


def test_bad_filter_is_a_422_at_the_field(sign_in, desk):
    browser = sign_in(desk.create_user("agent"))
    response = browser.get("/desk?municipality=abc")
    assert response.status_code == 422
    assert "Et kommunenummer har fire sifre." in response.get_data(as_text=True)


def test_availability_toggle(sign_in, desk, session):
    from kommune_ikt.core.auth.models import User

    me = desk.create_user("agent")
    browser = sign_in(me)
    page = browser.get("/desk").get_data(as_text=True)
    assert "Du er tilgjengelig" in page
    response = browser.post("/desk/availability", data={"csrf_token": csrf(page), "available": "0"})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(User, me.id).available is False
    assert "Du er ikke tilgjengelig" in browser.get("/desk").get_data(as_text=True)


def test_table_fragment_refreshes_alone_and_page_works_without_script(sign_in, desk):
    me = desk.create_user("agent")
    desk.ticket(me, municipality=HOST, title="Ny sak i fragmentet")
    browser = sign_in(me)
    page = browser.get("/desk?view=unassigned").get_data(as_text=True)
    assert 'hx-get="/desk/table?view=unassigned"' in page
    assert "Oppdater listen" in page
    fragment = browser.get("/desk/table?view=unassigned").get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="desk-table"')
    assert "Ny sak i fragmentet" in fragment and "<h1" not in fragment


def test_text_search_view_counts_what_it_lists(sign_in, desk):
    me = desk.create_user("agent")
    desk.ticket(me, municipality=HOST, title="Skriveren på rådhuset")
    desk.ticket(
        me, municipality=HOST, title="Passord utløpt", description="Kommer ikke inn i Visma."
    )
    browser = sign_in(me)
    page = browser.get(f"/desk?municipality={HOST}&q=skriveren").get_data(as_text=True)
    assert len(_rows(page)) == 1 and "Skriveren på rådhuset" in page
    token = csrf(page)
    browser.post(
        "/desk/views",
        data={"csrf_token": token, "name": "Skrivere", "query": "q=skriveren"},
    )
    desk_page = browser.get("/desk").get_data(as_text=True)
    assert _count(desk_page, "Skrivere") == 1


def test_colleague_who_changed_the_ticket_is_mentioned(sign_in, desk):
    me = desk.create_user("agent")
    colleague = desk.create_user("agent")
    ticket = desk.ticket(me, municipality=HOST)
    desk.change(colleague, ticket["id"], status="in_progress")
    page = sign_in(me).get(f"/desk/tickets/{ticket['id']}").get_data(as_text=True)
    assert "Andre er på saken nå:" in page and "endret den" in page


def test_bulk_internal_note_stays_internal(sign_in, desk, session):
    requester = desk.create_user("requester", HOST)
    me = desk.create_user("agent")
    ticket = desk.ticket(requester)
    browser = sign_in(me)
    page = browser.get("/desk?view=unassigned").get_data(as_text=True)
    response = browser.post(
        "/desk/bulk",
        data={
            "csrf_token": csrf(page),
            "action": "note",
            "body": "Venter på leverandøren",
            "ticket": [str(ticket["id"])],
            "assignee": "me",
            "queue": "",
            "status": "",
        },
    )
    assert response.status_code == 200 and "1 utført, 0 avvist." in response.get_data(as_text=True)
    note = session.scalars(
        sa.select(TicketComment).where(TicketComment.ticket_id == ticket["id"])
    ).one()
    assert note.internal and note.body == "Venter på leverandøren"
    mine = sign_in(requester).get(f"/tickets/{ticket['id']}").get_data(as_text=True)
    assert "Venter på leverandøren" not in mine


def test_timeline_shows_why_routing_chose_the_queue(sign_in, desk):
    me = desk.create_user("agent")
    desk.add_queue("NETT")
    desk.add_rule(1, "NETT", keywords=["nettverk"])
    ticket = desk.ticket(me, municipality=HOST, title="Nettverk nede i rådhuset")
    assert ticket["queue"] == "NETT"
    page = sign_in(me).get(f"/desk/tickets/{ticket['id']}").get_data(as_text=True)
    assert "kø NETT valgt av regel «rule 1» (plass 1)" in page
    assert "Saken ble opprettet" in page


def test_take_from_the_desk_returns_to_the_view_and_never_elsewhere(sign_in, desk):
    me = desk.create_user("agent")
    ticket = desk.ticket(me, municipality=HOST)
    other = desk.ticket(me, municipality=HOST)
    browser = sign_in(me)
    page = browser.get("/desk?view=unassigned").get_data(as_text=True)
    row = re.search(rf'<tr data-ticket="{ticket["id"]}"[^>]*>', page).group(0)
    version = re.search(r'data-version="(\d+)"', row).group(1)
    seen = re.search(r'data-seen="(\d+)"', row).group(1)
    response = browser.post(
        f"/desk/tickets/{ticket['id']}/take",
        data={
            "csrf_token": csrf(page),
            "version": version,
            "seen": seen,
            "next": "/desk?view=unassigned",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/desk?view=unassigned")
    assert desk.get(me, ticket["id"]).json["assignee"] == me.id
    elsewhere = browser.post(
        f"/desk/tickets/{other['id']}/take",
        data={"csrf_token": csrf(page), "version": "1", "next": "//evil.example/desk"},
    )
    assert elsewhere.headers["Location"].endswith(f"/desk/tickets/{other['id']}")
