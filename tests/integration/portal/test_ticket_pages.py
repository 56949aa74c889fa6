"""Home, my tickets, filing a ticket and a ticket's page, through the pages."""

from __future__ import annotations

import pytest

from servicedesk.models import Ticket
from tests.support.desk import HOST, OTHER, TICKET
from tests.support.portal import csrf

pytestmark = pytest.mark.db


def test_home_lists_my_open_tickets_and_not_another_municipalitys(sign_in, desk):
    me = desk.create_user("requester", HOST)
    stranger = desk.create_user("requester", OTHER)
    mine = desk.ticket(me, title="Skriveren min er tom")
    desk.ticket(stranger, title="Sunndals hemmelige sak")
    browser = sign_in(me)
    page = browser.get("/").get_data(as_text=True)
    assert mine["number"] in page and "Skriveren min er tom" in page
    assert "Sunndals hemmelige sak" not in page
    assert "Driftsmeldinger" in page


def test_orderer_home_has_approvals_and_requester_home_has_none(sign_in, desk):
    assert "godkjenning" in sign_in(desk.create_user("orderer", HOST)).get("/").get_data(
        as_text=True
    )
    assert "godkjenning" not in sign_in(desk.create_user("requester", HOST)).get("/").get_data(
        as_text=True
    )


def test_another_municipalitys_ticket_page_is_not_found(sign_in, desk):
    stranger = desk.create_user("requester", OTHER)
    theirs = desk.ticket(stranger)
    browser = sign_in(desk.create_user("orderer", HOST))
    response = browser.get(f"/tickets/{theirs['id']}")
    assert response.status_code == 404
    assert TICKET["title"] not in response.get_data(as_text=True)


def test_pages_need_sign_in(client, desk):
    for path in ("/tickets", "/tickets/new", "/tickets/1"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")


def test_filing_with_a_missing_title_names_the_field_and_keeps_what_was_typed(sign_in, desk):
    browser = sign_in(desk.create_user("requester", HOST))
    token = csrf(browser.get("/tickets/new").get_data(as_text=True))
    response = browser.post(
        "/tickets/new",
        data={
            "csrf_token": token,
            "title": "",
            "description": "Skjermen blinker grønt",
            "type": "incident",
            "impact": "2",
            "urgency": "3",
        },
        headers={"Accept-Language": "nb"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#title"' in page and "Tittel" in page and "Skriv en tittel." in page
    assert "Skjermen blinker grønt" in page
    assert 'aria-invalid="true"' in page


def test_filing_without_csrf_is_refused_and_files_nothing(sign_in, desk):
    me = desk.create_user("requester", HOST)
    browser = sign_in(me)
    response = browser.post(
        "/tickets/new",
        data={"title": "x", "description": "y", "type": "incident", "impact": "2", "urgency": "2"},
    )
    assert response.status_code == 422
    assert desk.list(me).get_json()["items"] == []


def test_file_a_ticket_then_comment_and_cancel_it(sign_in, desk):
    me = desk.create_user("requester", HOST)
    browser = sign_in(me)
    token = csrf(browser.get("/tickets/new").get_data(as_text=True))
    response = browser.post(
        "/tickets/new",
        data={
            "csrf_token": token,
            "title": "Ny PC til nyansatt",
            "description": "Starter mandag.",
            "type": "service_request",
            "service_code": "",
            "impact": "3",
            "urgency": "2",
        },
    )
    assert response.status_code == 303
    url = response.headers["Location"]
    page = browser.get(url).get_data(as_text=True)
    assert "Ny PC til nyansatt" in page and "Starter mandag." in page
    filed = desk.session.get(Ticket, int(url.rsplit("/", 1)[1]))
    assert filed.source == "web"

    empty = browser.post(url + "/comments", data={"csrf_token": csrf(page), "body": ""})
    assert empty.status_code == 422 and "Skriv en kommentar." in empty.get_data(as_text=True)
    said = browser.post(
        url + "/comments", data={"csrf_token": csrf(page), "body": "Han heter Ola."}
    )
    assert said.status_code == 303
    assert "Han heter Ola." in browser.get(url).get_data(as_text=True)

    cancelled = browser.post(url + "/cancel", data={"csrf_token": csrf(page)})
    assert cancelled.status_code == 303
    assert "Avbrutt" in browser.get(url).get_data(as_text=True)
    assert "Ny PC til nyansatt" in browser.get("/tickets").get_data(as_text=True)


def test_static_files_are_versioned_and_cached_long(sign_in, desk):
    browser = sign_in(desk.create_user("requester", HOST))
    page = browser.get("/").get_data(as_text=True)
    import re

    css = re.search(r'href="(/static/portal/vendor/designsystemet.css\?v=[0-9a-f]+)"', page).group(
        1
    )
    response = browser.get(css)
    response.close()
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "https://" not in page and "http://" not in page.replace('xmlns="http://www.w3.org', "")


def test_home_shows_only_my_own_open_tickets_even_to_an_orderer(sign_in, desk):
    orderer = desk.create_user("orderer", HOST)
    colleague = desk.create_user("requester", HOST)
    mine = desk.ticket(orderer, title="Bestillerens egen sak")
    done = desk.ticket(orderer, title="Bestillerens avbrutte sak")
    desk.change(orderer, done["id"], status="cancelled")
    for k in range(25):  # more than the home page's 20: mine must not fall off the list
        desk.ticket(colleague, title=f"Kollegaens sak {k}")
    page = sign_in(orderer).get("/").get_data(as_text=True)
    assert mine["number"] in page
    assert "Bestillerens avbrutte sak" not in page
    assert "Kollegaens sak" not in page


def test_home_sections_are_labelled_by_their_headings(sign_in, desk):
    page = sign_in(desk.create_user("orderer", HOST)).get("/").get_data(as_text=True)
    for section in ("outages", "mine", "approvals"):
        assert f'aria-labelledby="{section}"' in page
        assert f'<h2 class="ds-heading" data-size="md" id="{section}">' in page
    assert "&lt;h2" not in page


def test_a_page_with_several_forms_repeats_no_id(sign_in, desk):
    import re

    me = desk.create_user("requester", HOST)
    filed = desk.ticket(me)
    page = sign_in(me).get(f"/tickets/{filed['id']}").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 2  # sign-out, comment, cancel
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_a_requesters_comment_resumes_a_pending_ticket(sign_in, desk):
    me = desk.create_user("requester", HOST)
    agent = desk.create_user("agent")
    found = desk.ticket(me)
    desk.change(agent, found["id"], assignee=agent.id)
    desk.change(agent, found["id"], status="in_progress")
    desk.change(agent, found["id"], status="pending")
    browser = sign_in(me)
    url = f"/tickets/{found['id']}"
    page = browser.get(url).get_data(as_text=True)
    said = browser.post(
        url + "/comments", data={"csrf_token": csrf(page), "body": "Nå virker den."}
    )
    assert said.status_code == 303
    desk.session.expire_all()
    assert desk.session.get(Ticket, found["id"]).status == "in_progress"
    # The history says the system resumed it (as a mailed reply does), after the comment.
    changes = [(h["field"], h.get("new")) for h in desk.history(agent, found["id"])]
    assert changes[-2:] == [("comment", "Nå virker den."), ("status", "in_progress")]
