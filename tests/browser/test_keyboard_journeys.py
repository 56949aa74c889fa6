"""Keyboard-only journeys: TAB, SHIFT+TAB, ENTER, SPACE, arrow keys and typing, never a
mouse click.

The helpers (tests/support/pages.py: ``tab_to``, ``activate``, ``fill``, ``press``)
find what has focus through ``switch_to.active_element``, so a step fails when a
person using only the keyboard could not do it. Each journey checks its effect on
the page and in the database (``live.session()``).

Several people take part in one journey: each has a browser session of their own
(cookies), signed in through the demo sign-in page by keyboard; ``as_person``
switches between them by swapping the browser's cookies, so an earlier session is
still open when its person comes back.

Journeys: sign in through OpenID, file a ticket with a file, comment, read the
answer, sign out; order an optional service as a requester and approve it as the
municipality's orderer (a fulfilment ticket opens); download the cost report as
CSV; an agent takes a ticket from "Brudd snart", answers it, sets it pending, the
requester's reply resumes it and the agent resolves it; an operator records an
outage for one municipality and its requester (only) sees it on the home page; an
admin deactivates a user and that user's open session ends at once; an orderer
asks for work outside the catalogue, and accepts the IT unit's quote for it; an orderer
changes a subscription's quantity and a requester withdraws an order.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from selenium.webdriver.common.keys import Keys

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.types import utcnow
from metrics.models import Outage
from service_catalog import orders, special_requests
from service_catalog.models import (
    Order,
    Service,
    SpecialRequest,
    Subscription,
    SubscriptionEdit,
)
from servicedesk import filing, queries, services
from servicedesk.models import Ticket, TicketComment
from servicedesk.sla.models import TicketSla
from tests.support.pages import (
    DEMO_USERS,
    Findings,
    activate,
    fill,
    focused,
    page_text,
    press,
    tab_to,
    type_text,
    wait_for,
    wait_for_path,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.db,
    # oidc-provider-mock 0.3.4 (the newest for Python 3.11) calls an authlib API that
    # authlib now deprecates; that is the provider's business, not ours.
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]


def _actor(session, email: str) -> Actor:
    user = session.scalar(sa.select(User).where(User.email == email))
    return Actor(user.id, user.role, user.municipality_number, user.email)


def sign_in_with_provider(browser, live, sub: str, email: str) -> None:
    """The code flow by keyboard: our sign-in page, the provider's form, back home."""
    requests.put(f"{live.issuer}/users/{sub}", json={"email": email}, timeout=10).raise_for_status()
    browser.get(live.url + "/sign-in")
    activate(browser, "Logg inn med kommunens konto")
    # The provider's page: its subject field has autofocus.
    wait_for(
        lambda: browser.current_url.startswith(live.issuer),
        lambda: f"the provider's page (at {browser.current_url}: {page_text(browser)[:300]})",
    )
    wait_for(lambda: focused(browser).get_attribute("name") == "sub", "focus in the sub field")
    type_text(browser, sub)
    press(browser, Keys.ENTER)
    wait_for_path(browser, "/")
    assert email in page_text(browser)


def test_sign_in_file_a_ticket_with_a_file_comment_read_the_answer_and_sign_out(
    browser, live, tmp_path
):
    email = DEMO_USERS["requester"]
    sign_in_with_provider(browser, live, "kari", email)

    # File a ticket with an attachment.
    activate(browser, "Meld sak")
    wait_for_path(browser, "/tickets/new")
    fill(browser, "Tittel", "Tastaturet mitt mangler Æ")
    fill(browser, "Beskrivelse", "Tasten ved siden av Ø gjør ingenting.")
    fill(browser, "Omfang", "3")  # typing picks "3 – Lav" in the select
    fill(browser, "Hastegrad", "2")
    screenshot = tmp_path / "tastatur.png"
    screenshot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"tastatur" * 30)
    tab_to(browser, "Vedlegg")
    focused(browser).send_keys(str(screenshot))  # what the file chooser would fill in
    activate(browser, "Send inn")
    path = wait_for_path(browser, r"/tickets/\d+")
    text = page_text(browser)
    assert "Tastaturet mitt mangler Æ" in text and "tastatur.png" in text
    ticket_id = int(re.search(r"\d+$", path).group())

    # Add a comment.
    fill(browser, "Kommentar", "Det gjelder den bærbare PC-en.")
    submit(browser, "Legg til kommentar")
    wait_for(lambda: "Det gjelder den bærbare PC-en." in page_text(browser), "the comment")

    # The agent answers (through the same service function as the pages); reload.
    with live.session() as session:
        agent = _actor(session, DEMO_USERS["agent"])
        ticket = queries.get_ticket(session, agent, ticket_id, for_update=True)
        services.add_comment(session, agent, ticket, "Vi sender et nytt tastatur i dag.", False)
        session.commit()
    browser.refresh()  # the browser's reload (F5 is not passed on to the browser itself)
    wait_for(lambda: "Vi sender et nytt tastatur i dag." in page_text(browser), "the answer")
    # The crawl may not meet a ticket with files; this one has them.
    findings = Findings()
    findings.check_page(browser, "a ticket with an attachment and comments")
    assert not findings.problems, findings.report()

    # Sign out: the button in the header is reached backwards from the page's end.
    press(browser, Keys.END)
    tab_to(browser, "Logg ut", backwards=True, limit=200)
    press(browser, Keys.SPACE)
    wait_for_path(browser, "/sign-in")
    browser.get(live.url + "/tickets")
    wait_for_path(browser, "/sign-in")


# --- several people, one browser -----------------------------------------------------


def keyboard_sign_in(browser, live, email: str) -> list[dict]:
    """A new browser session for ``email``: the demo sign-in page, its button by keyboard.
    Returns the session's cookies (``as_person`` brings them back)."""
    browser.delete_all_cookies()
    browser.get(live.url + "/sign-in/demo")
    activate(browser, f"Logg inn som {email}")
    wait_for_path(browser, "/")
    assert email in page_text(browser)
    return browser.get_cookies()


def as_person(browser, live, cookies: list[dict]) -> None:
    """Back to a person's own (still open) browser session."""
    browser.get(live.url + "/healthz")
    browser.delete_all_cookies()
    for cookie in cookies:
        browser.add_cookie(cookie)


def submit(browser, text: str) -> None:
    """``activate`` a form's button named ``text`` and wait for the answer's page (a new
    document: the old one may be at the same address, complete)."""
    browser.execute_script("window.journeyOldPage = true")
    activate(browser, text)
    wait_for(
        lambda: browser.execute_script(
            "return !window.journeyOldPage && document.readyState === 'complete'"
        ),
        f"the page answering {text!r}",
    )


def replace_text(browser, label: str, text: str) -> None:
    """TAB to the field labelled ``label``, select what it holds and type over it."""
    tab_to(browser, label, exact=True)
    focused(browser).send_keys(Keys.CONTROL + "a")
    type_text(browser, text)


# --- ordering and approving (issue 18) -------------------------------------------------


def test_requester_orders_an_optional_service_and_the_orderer_approves_it(browser, live):
    keyboard_sign_in(browser, live, DEMO_USERS["requester"])
    activate(browser, "Tjenestekatalog")
    wait_for_path(browser, "/catalogue")
    activate(browser, "Outlook Web Access")
    wait_for_path(browser, "/catalogue/OWA")
    replace_text(browser, "Antall", "3")
    fill(browser, "Merknad", "Tre nye vikarer i barnehagen fra januar.")
    submit(browser, "Send bestillingen")
    path = wait_for_path(browser, r"/orders/\d+")
    order_id = int(re.search(r"\d+$", path).group())
    assert "venter på godkjenning" in page_text(browser)
    with live.session() as session:
        order = session.get(Order, order_id)
        requester = _actor(session, DEMO_USERS["requester"])
        assert (order.service_code, order.quantity, order.status) == (
            "OWA",
            3,
            "pending_approval",
        )
        assert order.note == "Tre nye vikarer i barnehagen fra januar."
        assert (order.created_by, order.municipality_number) == (
            requester.user_id,
            requester.municipality,
        )
        assert order.ticket_id is None

    # The municipality's orderer, in a browser session of their own.
    keyboard_sign_in(browser, live, DEMO_USERS["orderer"])
    activate(browser, "Godkjenninger")
    wait_for_path(browser, "/approvals")
    assert "Tre nye vikarer i barnehagen fra januar." in page_text(browser)
    submit(browser, f"Godkjenn: bestilling nr. {order_id}")
    wait_for(
        lambda: f"Bestilling nr. {order_id} er godkjent" in page_text(browser),
        lambda: f"the approval's message (page: {page_text(browser)[:400]})",
    )
    wait_for_path(browser, "/approvals")
    with live.session() as session:
        order = session.get(Order, order_id)
        orderer = _actor(session, DEMO_USERS["orderer"])
        assert (order.status, order.approved_by) == ("approved", orderer.user_id)
        assert order.ticket_id is not None
        ticket = session.get(Ticket, order.ticket_id)
        assert ticket is not None and ticket.municipality_number == orderer.municipality


def test_orderer_asks_for_special_work_and_accepts_the_quote(browser, live):
    keyboard_sign_in(browser, live, DEMO_USERS["orderer"])
    activate(browser, "Spesialbestillinger")
    wait_for_path(browser, "/special-requests")
    activate(browser, "Ny spesialbestilling")
    wait_for_path(browser, "/special-requests/new")
    fill(browser, "Tittel", "Skjema for søknad om tilrettelegging")
    fill(browser, "Beskrivelse", "Et digitalt skjema i stedet for papir, koblet til WebSak.")
    submit(browser, "Send inn")
    path = wait_for_path(browser, r"/special-requests/\d+")
    request_id = int(re.search(r"\d+$", path).group())
    assert "Sendt inn – venter på pristilbud" in page_text(browser)

    # The catalogue manager quotes it (the same use case as their page and the API).
    with live.session() as session:
        manager = _actor(session, DEMO_USERS["catalogue_manager"])
        special_requests.quote_request(session, manager, request_id, {"amount": Decimal("18500")})
        session.commit()

    # Back to the request from the list, by keyboard; accept the quote.
    activate(browser, "Spesialbestillinger")
    wait_for_path(browser, "/special-requests")
    activate(browser, "Skjema for søknad om tilrettelegging")
    wait_for_path(browser, f"/special-requests/{request_id}")
    assert "Pristilbud klart – venter på svar" in page_text(browser)
    submit(browser, "Godta pristilbudet")
    wait_for(
        lambda: "Godtatt – venter på oppstart" in page_text(browser),
        lambda: f"the accepted request (page: {page_text(browser)[:400]})",
    )
    assert "Godta pristilbudet" not in page_text(browser)
    with live.session() as session:
        request = session.get(SpecialRequest, request_id)
        orderer = _actor(session, DEMO_USERS["orderer"])
        assert request.status == "accepted" and request.priority_rank is not None
        assert request.quote_amount == Decimal("18500.00")
        assert request.municipality_number == orderer.municipality


def test_orderer_changes_a_subscription_and_a_requester_withdraws_an_order(browser, live):
    with live.session() as session:
        orderer = _actor(session, DEMO_USERS["orderer"])
        subscription = session.scalars(
            sa.select(Subscription)
            .where(Subscription.municipality_number == orderer.municipality)
            .order_by(Subscription.id)
        ).first()
        subscription_id, before = subscription.id, subscription.quantity
        name = session.get(Service, subscription.service_code).name
    keyboard_sign_in(browser, live, DEMO_USERS["orderer"])
    activate(browser, "Abonnementer")
    wait_for_path(browser, "/subscriptions")
    activate(browser, name)
    wait_for_path(browser, f"/subscriptions/{subscription_id}")
    replace_text(browser, "Nytt antall", str(before + 2))
    submit(browser, "Endre antallet")
    wait_for(
        lambda: "Abonnementet er endret." in page_text(browser),
        lambda: f"the changed subscription (page: {page_text(browser)[:400]})",
    )
    with live.session() as session:
        assert session.get(Subscription, subscription_id).quantity == before + 2
        edit = session.scalars(
            sa.select(SubscriptionEdit)
            .where(SubscriptionEdit.subscription_id == subscription_id)
            .order_by(SubscriptionEdit.id.desc())
        ).first()
        assert (edit.field, edit.new_value, edit.changed_by) == (
            "quantity",
            str(before + 2),
            orderer.user_id,
        )

    # A requester withdraws an order of theirs before anyone has approved it.
    with live.session() as session:
        requester = _actor(session, DEMO_USERS["requester"])
        order = orders.place_order(session, requester, {"service_code": "OWA", "quantity": 1})
        session.commit()
        order_id = order.id
    keyboard_sign_in(browser, live, DEMO_USERS["requester"])
    activate(browser, "Bestillinger")
    wait_for_path(browser, "/orders")
    activate(browser, f"Nr. {order_id}")
    wait_for_path(browser, f"/orders/{order_id}")
    fill(browser, "Hvorfor", "Bestilt to ganger ved en feil.")
    submit(browser, "Trekk tilbake")
    wait_for(
        lambda: f"Bestilling nr. {order_id} er trukket tilbake." in page_text(browser),
        lambda: f"the withdrawn order (page: {page_text(browser)[:400]})",
    )
    with live.session() as session:
        order = session.get(Order, order_id)
        assert (order.status, order.cancelled_by, order.reason) == (
            "cancelled",
            requester.user_id,
            "Bestilt to ganger ved en feil.",
        )


def test_orderer_downloads_the_cost_report_as_csv(browser, live, tmp_path):
    keyboard_sign_in(browser, live, DEMO_USERS["orderer"])
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    try:
        activate(browser, "Kostnader")
        wait_for_path(browser, "/costs")
        link = tab_to(browser, "Last ned som CSV")
        href = link.get_attribute("href")
        press(browser, Keys.ENTER)

        def downloaded():
            done = [p for p in tmp_path.iterdir() if p.suffix == ".csv"]
            partial = [p for p in tmp_path.iterdir() if p.suffix == ".crdownload"]
            return done[0] if done and not partial else None

        csv_file = wait_for(downloaded, lambda: f"the CSV in {list(tmp_path.iterdir())}")
    finally:
        browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "default"})
    assert re.fullmatch(r"kostnader-\d{4}-1505\.csv", csv_file.name), csv_file.name
    body = csv_file.read_bytes()
    # The same report as the link gives this session: the download is the page's own.
    http = requests.Session()
    for cookie in browser.get_cookies():
        http.cookies.set(cookie["name"], cookie["value"])
    answer = http.get(href, headers={"Accept-Language": "nb-NO,nb"}, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert body == answer.content
    lines = body.decode("utf-8").splitlines()
    assert lines[0].startswith("year,municipality") and len(lines) > 2
    assert all(",1505,Kristiansund," in line for line in lines[1:])


# --- the agent's ticket, operations, administration (issue 19) ------------------------


def _ticket_breaching_soon(live) -> Ticket:
    """A requester's new ticket whose response is due in ten minutes (so under an hour
    of business time away, whatever the calendar says now): the "Brudd snart" view's."""
    with live.session() as session:
        requester = _actor(session, DEMO_USERS["requester"])
        ticket = filing.file_ticket(
            session,
            requester,
            filing.NewTicket(
                title="Skriveren på legekontoret er stille",
                description="Ingenting kommer ut, lampen blinker gult.",
                type="incident",
                impact=1,
                urgency=1,
                source="web",
            ),
        ).ticket
        if ticket.assignee_id is not None:  # routing gave it to someone: back to the queue
            agent = _actor(session, DEMO_USERS["agent"])
            services.update_ticket(session, agent, ticket, {"assignee": None})
        session.flush()
        sla = session.get(TicketSla, ticket.id)
        sla.response_breach_at = utcnow() + timedelta(minutes=10)
        session.commit()
        session.refresh(ticket)
        session.expunge(ticket)
    return ticket


def _status(live, ticket_id: int) -> str:
    with live.session() as session:
        return session.get(Ticket, ticket_id).status


def test_agent_takes_a_ticket_breaching_soon_answers_waits_and_resolves_it(browser, live):
    ticket = _ticket_breaching_soon(live)
    with live.session() as session:
        agent = _actor(session, DEMO_USERS["agent"])
    assert ticket.assignee_id is None and ticket.status == "new", ticket

    agent_cookies = keyboard_sign_in(browser, live, DEMO_USERS["agent"])
    activate(browser, "Arbeidsflate")
    wait_for_path(browser, "/desk")
    activate(browser, "Brudd snart")
    wait_for(lambda: "view=soon" in browser.current_url, "the view Brudd snart")
    tab_to(browser, ticket.number, limit=300)
    press(browser, Keys.ENTER)
    wait_for_path(browser, rf"/desk/tickets/{ticket.id}")
    submit(browser, "Ta saken")
    wait_for(lambda: "Ta saken" not in page_text(browser), "the take button gone")
    with live.session() as session:
        assert session.get(Ticket, ticket.id).assignee_id == agent.user_id

    # A public answer (the default of "Hvem ser det?"), then "Venter".
    fill(browser, "Tekst", "Prøv å slå skriveren av og på. Står lampen fortsatt gult?")
    submit(browser, "Send")
    wait_for(
        lambda: "Står lampen fortsatt gult?" in page_text(browser),
        "the answer in the timeline",
    )
    # The status list offers only the allowed next steps: taken is "Tildelt", which
    # goes on to "Under arbeid" before it can wait.
    fill(browser, "Status", "Under")
    submit(browser, "Lagre endringer")
    wait_for(lambda: _status(live, ticket.id) == "in_progress", "the ticket in progress")
    wait_for_path(browser, rf"/desk/tickets/{ticket.id}")
    fill(browser, "Status", "Venter")
    submit(browser, "Lagre endringer")
    wait_for(
        lambda: _status(live, ticket.id) == "pending",
        lambda: f"the ticket pending (page: {page_text(browser)[:1500]})",
    )
    with live.session() as session:
        said = session.scalars(
            sa.select(TicketComment).where(TicketComment.ticket_id == ticket.id)
        ).all()
        assert [(c.author_id, c.internal) for c in said] == [(agent.user_id, False)]
        assert session.get(Ticket, ticket.id).responded_at is not None

    # The requester reads the answer and replies on the ticket's page: it resumes.
    keyboard_sign_in(browser, live, DEMO_USERS["requester"])
    activate(browser, "Mine saker")
    wait_for_path(browser, "/tickets")
    activate(browser, ticket.number)
    wait_for_path(browser, rf"/tickets/{ticket.id}")
    assert "Står lampen fortsatt gult?" in page_text(browser)
    fill(browser, "Kommentar", "Nå skriver den ut igjen, takk!")
    submit(browser, "Legg til kommentar")
    wait_for(lambda: "Nå skriver den ut igjen, takk!" in page_text(browser), "the reply")
    assert _status(live, ticket.id) == "in_progress"

    # The agent, back in their own session, resolves it.
    as_person(browser, live, agent_cookies)
    browser.get(f"{live.url}/desk/tickets/{ticket.id}")
    assert "Nå skriver den ut igjen, takk!" in page_text(browser)
    fill(browser, "Status", "Løst")
    fill(browser, "Løsning", "Skriveren ble startet på nytt.")
    submit(browser, "Lagre endringer")
    wait_for(lambda: _status(live, ticket.id) == "resolved", "the ticket resolved")
    browser.refresh()
    assert "Løst" in page_text(browser)


def test_operator_records_an_outage_the_municipality_sees_on_its_home_page(browser, live):
    description = "Webposten er nede på grunn av en feil hos leverandøren."
    keyboard_sign_in(browser, live, DEMO_USERS["operations"])
    activate(browser, "Drift")
    wait_for_path(browser, "/operations/outages")
    fill(browser, "Tjeneste", "Outlook")  # typing picks "Outlook Web Access (OWA)"
    # "Start" is filled in with now; the radio group moves with the arrow keys.
    tab_to(browser, "Alle kommuner")
    press(browser, Keys.ARROW_DOWN)
    assert focused(browser).get_attribute("value") == "some"
    assert focused(browser).is_selected()
    tab_to(browser, "Kristiansund")
    press(browser, Keys.SPACE)
    assert focused(browser).is_selected()
    fill(browser, "Beskrivelse", description)
    submit(browser, "Registrer avbrudd")
    wait_for(
        lambda: "recorded=" in browser.current_url,
        lambda: f"the recorded outage (page: {page_text(browser)[:1500]})",
    )
    assert description in page_text(browser)
    with live.session() as session:
        outage = session.scalars(sa.select(Outage).where(Outage.description == description)).one()
        assert (outage.service_code, outage.municipalities, outage.planned) == (
            "OWA",
            ["1505"],
            False,
        )
        assert outage.ended_at is None

    keyboard_sign_in(browser, live, DEMO_USERS["requester"])  # Kristiansund: on the home page
    assert description in page_text(browser)
    keyboard_sign_in(browser, live, "requester@sunndal.demo")  # Sunndal: not affected
    assert description not in page_text(browser)


def test_admin_deactivates_a_user_whose_open_session_ends_at_once(browser, live):
    email = "vikar@kristiansund.demo"
    with live.session() as session:
        user = auth_services.create_user(
            session,
            SYSTEM,
            email=email,
            role=Role.REQUESTER,
            municipality="1505",
            name="Vera Vikar",
        )
        session.commit()
        user_id = user.id
    their_session = keyboard_sign_in(browser, live, email)

    keyboard_sign_in(browser, live, DEMO_USERS["admin"])
    activate(browser, "Administrasjon")
    wait_for_path(browser, "/admin/?")
    activate(browser, "Brukere og nøkler")
    wait_for_path(browser, "/admin/users")
    tab_to(browser, email, limit=200)
    press(browser, Keys.ENTER)
    wait_for_path(browser, rf"/admin/users/{user_id}")
    submit(browser, "Deaktiver brukeren")
    wait_for(lambda: "Brukeren er deaktivert." in page_text(browser), "the deactivation")
    with live.session() as session:
        assert session.get(User, user_id).active is False

    # Their browser, still holding its session cookie: the next page is the sign-in page.
    as_person(browser, live, their_session)
    browser.get(live.url + "/tickets")
    wait_for_path(browser, "/sign-in")
    assert email not in page_text(browser)
