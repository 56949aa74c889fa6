"""Attachments through the pages: filing and commenting with files, the list, downloads,
refused files (too big, infected, scanner down) and who may see what."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from servicedesk.attachments import services as attachment_services
from servicedesk.attachments.models import Attachment
from servicedesk.models import Ticket, TicketComment
from tests.support.clamd import EICAR
from tests.support.desk import HOST, OTHER
from tests.support.portal import csrf

pytestmark = pytest.mark.db

PNG = b"\x89PNG\r\n\x1a\n" + b"skjermbilde" * 50
PDF = b"%PDF-1.4\n" + b"rapport " * 40


@pytest.fixture
def configure(app, demo_on, tmp_path: Path, monkeypatch):
    """``configure(attachment_max_bytes=..., clamd_address=...)``: this test's settings
    (after demo_on's, so both are undone in the right order)."""
    base = app.config["SETTINGS"]

    def apply(**values: Any) -> None:
        settings = replace(
            base, **{"attachment_dir": str(tmp_path / "blobs"), "clamd_address": None, **values}
        )
        monkeypatch.setitem(app.config, "SETTINGS", settings)

    apply()
    return apply


def ticket_form(page: str, **values: Any) -> dict[str, Any]:
    return {
        "csrf_token": csrf(page),
        "title": "Skjermen blinker",
        "description": "Se skjermbildet.",
        "type": "incident",
        "service_code": "",
        "impact": "3",
        "urgency": "2",
        **values,
    }


def files(*named: tuple[str, bytes, str]) -> list[tuple[io.BytesIO, str, str]]:
    return [(io.BytesIO(data), name, content_type) for name, data, content_type in named]


def count(session, model) -> int:
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def file_ticket(browser, *named) -> str:
    page = browser.get("/tickets/new").get_data(as_text=True)
    response = browser.post("/tickets/new", data=ticket_form(page, file=files(*named)))
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def test_the_form_offers_several_files_with_a_label_and_the_size_limit(sign_in, desk, configure):
    page = sign_in(desk.create_user("requester", HOST)).get("/tickets/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file"' in page and "multiple" in page
    assert '<label class="ds-label" for="file">Vedlegg</label>' in page
    assert 'aria-describedby="file-hint"' in page and "hver på høyst 25 MB" in page


def test_file_a_ticket_with_two_files_then_list_and_download_them(
    sign_in, desk, configure, session
):
    browser = sign_in(desk.create_user("requester", HOST))
    url = file_ticket(
        browser,
        ("skjermbilde.png", PNG, "image/png"),
        ("rapport.pdf", PDF, "application/pdf"),
    )
    page = browser.get(url).get_data(as_text=True)
    assert "skjermbilde.png" in page and "rapport.pdf" in page
    assert "Vedlegg til saken" in page and "Klar til nedlasting" in page
    rows = session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()
    assert [(a.filename, a.size, a.comment_id) for a in rows] == [
        ("skjermbilde.png", len(PNG), None),
        ("rapport.pdf", len(PDF), None),
    ]
    link = f"{url}/attachments/{rows[0].id}"
    assert f'href="{link}"' in page
    download = browser.get(link, buffered=True)
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_comment_with_a_file_shows_it_under_the_comment(sign_in, desk, configure, session):
    browser = sign_in(desk.create_user("requester", HOST))
    url = file_ticket(browser)
    page = browser.get(url).get_data(as_text=True)
    assert "Ingen vedlegg." in page
    said = browser.post(
        url + "/comments",
        data={
            "csrf_token": csrf(page),
            "body": "Her er loggen.",
            "file": files(("logg.txt", b"feil 42\n", "text/plain")),
        },
    )
    assert said.status_code == 303
    comment = session.scalars(sa.select(TicketComment)).one()
    attachment = session.scalars(sa.select(Attachment)).one()
    assert attachment.comment_id == comment.id and attachment.filename == "logg.txt"
    page = browser.get(url).get_data(as_text=True)
    assert "Vedlegg:" in page and "logg.txt" in page and "8 byte" in page


def test_a_file_over_the_limit_is_named_at_the_field_and_nothing_is_filed(
    sign_in, desk, configure, session
):
    configure(attachment_max_bytes=1000)
    browser = sign_in(desk.create_user("requester", HOST))
    page = browser.get("/tickets/new").get_data(as_text=True)
    response = browser.post(
        "/tickets/new",
        data=ticket_form(page, file=files(("stor.png", b"x" * 2000, "image/png"))),
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "stor.png er for stor. Hver fil kan være høyst 1000 byte." in html
    assert 'href="#file"' in html and 'id="file-error"' in html
    assert "Skjermen blinker" in html  # what was typed is kept
    assert "Velg filene på nytt" in html
    assert count(session, Ticket) == 0 and count(session, Attachment) == 0


def test_a_body_too_large_to_read_is_refused_at_the_file_field(sign_in, desk, configure, session):
    configure(attachment_max_bytes=1000)
    browser = sign_in(desk.create_user("requester", HOST))
    page = browser.get("/tickets/new").get_data(as_text=True)
    response = browser.post(
        "/tickets/new",
        data=ticket_form(page, file=files(("enorm.bin", b"x" * 400_000, "image/png"))),
    )
    assert response.status_code == 413
    assert "Filene er for store." in response.get_data(as_text=True)
    assert count(session, Ticket) == 0


def test_the_refusal_is_in_the_users_language(sign_in, desk, configure):
    configure(attachment_max_bytes=1000)
    browser = sign_in(desk.create_user("requester", HOST))
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    page = browser.get("/tickets/new").get_data(as_text=True)
    response = browser.post(
        "/tickets/new", data=ticket_form(page, file=files(("stor.png", b"x" * 2000, "image/png")))
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "stor.png är för stor." in html


def test_a_scanner_that_does_not_answer_refuses_the_files_and_files_nothing(
    sign_in, desk, configure, session
):
    configure(clamd_address="127.0.0.1:9", clamd_timeout=2.0)  # the discard port: refused
    browser = sign_in(desk.create_user("requester", HOST))
    page = browser.get("/tickets/new").get_data(as_text=True)
    response = browser.post(
        "/tickets/new", data=ticket_form(page, file=files(("a.png", PNG, "image/png")))
    )
    assert response.status_code == 503
    assert "Viruskontrollen svarer ikke" in response.get_data(as_text=True)
    assert count(session, Ticket) == 0 and count(session, Attachment) == 0


@pytest.mark.clamd
def test_an_infected_file_on_a_comment_is_refused_and_nothing_is_added(
    sign_in,
    desk,
    configure,
    session,
    clamd,
):
    browser = sign_in(desk.create_user("requester", HOST))
    url = file_ticket(browser)
    configure(clamd_address=clamd.tcp_address)
    page = browser.get(url).get_data(as_text=True)
    assert "sjekket for virus" in page
    response = browser.post(
        url + "/comments",
        data={
            "csrf_token": csrf(page),
            "body": "Se vedlegget",
            "file": files(("eicar.com", EICAR, "application/octet-stream")),
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "eicar.com ble stoppet av viruskontrollen (Eicar-Test-Signature" in html
    assert "Se vedlegget" in html
    assert count(session, TicketComment) == 0 and count(session, Attachment) == 0


def test_another_municipalitys_attachment_is_not_found(sign_in, desk, configure):
    owner = desk.create_user("requester", OTHER)
    url = file_ticket(sign_in(owner), ("hemmelig.png", PNG, "image/png"))
    theirs = sign_in(owner).get(url).get_data(as_text=True)
    link = url + "/attachments/" + theirs.split(url + "/attachments/")[1].split('"')[0]
    assert sign_in(owner).get(link, buffered=True).status_code == 200
    stranger = sign_in(desk.create_user("orderer", HOST))
    response = stranger.get(link)
    assert response.status_code == 404 and PNG not in response.data
    assert "Fant ikke siden" in response.get_data(as_text=True)


def test_an_attachment_under_another_tickets_address_is_not_found(sign_in, desk, configure):
    browser = sign_in(desk.create_user("requester", HOST))
    first = file_ticket(browser, ("a.png", PNG, "image/png"))
    second = file_ticket(browser)
    page = browser.get(first).get_data(as_text=True)
    attachment_id = page.split(first + "/attachments/")[1].split('"')[0]
    assert browser.get(f"{second}/attachments/{attachment_id}").status_code == 404


def test_an_internal_attachment_is_listed_for_agents_only(app, sign_in, desk, configure, session):
    requester = desk.create_user("requester", HOST)
    agent = desk.create_user("agent")
    url = file_ticket(sign_in(requester))
    ticket_id = int(url.rsplit("/", 1)[1])
    ticket = session.get(Ticket, ticket_id)
    from servicedesk import services

    note = services.add_comment(session, agent.actor, ticket, "Intern merknad", True)
    attachment_services.add_attachment(
        session,
        agent.actor,
        ticket_id,
        filename="intern.txt",
        content_type="text/plain",
        data=b"bare for IT",
        comment_id=note.id,
        settings=app.config["SETTINGS"],
    )
    session.commit()
    internal = session.scalars(sa.select(Attachment)).one()
    agent_page = sign_in(agent).get(url).get_data(as_text=True)
    assert "intern.txt" in agent_page and "bare IT-enheten" in agent_page
    mine = sign_in(requester)
    assert "intern.txt" not in mine.get(url).get_data(as_text=True)
    assert mine.get(f"{url}/attachments/{internal.id}").status_code == 404


def test_the_agents_timeline_links_each_attachment_to_its_download(sign_in, desk, configure):
    requester = desk.create_user("requester", HOST)
    ticket = desk.ticket(requester)
    upload = desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/attachments",
        headers=requester.headers,
        data={"file": (io.BytesIO(b"logg fra skriveren"), "skriver.log")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.json
    agent = sign_in(desk.create_user("agent"))
    page = agent.get(f"/desk/tickets/{ticket['id']}").get_data(as_text=True)
    href = f"/tickets/{ticket['id']}/attachments/{upload.json['id']}"
    assert f'href="{href}">skriver.log</a>' in page
    download = agent.get(href)
    body = download.data
    download.close()
    assert download.status_code == 200 and body == b"logg fra skriveren"
