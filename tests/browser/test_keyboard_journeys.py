"""Keyboard-only journeys: TAB, ENTER, SPACE and typing, never a mouse click.

The helpers (tests/browser/pages.py: ``tab_to``, ``activate``, ``fill``, ``press``)
find what has focus through ``switch_to.active_element``, so a step fails when a
person using only the keyboard could not do it.

TODO, journeys to add as their pages land (same helpers):
- order an optional service as a requester (catalogue → service → "Bestill" → quantity);
- approve that order as the municipality's orderer (home page → approvals → approve);
- download the cost report as an orderer (report page → CSV link, assert the file);
- accept a quote on a special request as an orderer;
- an agent takes a ticket from the queue, answers it publicly and resolves it;
- an admin deactivates a user.
"""

from __future__ import annotations

import re

import pytest
import requests
import sqlalchemy as sa
from selenium.webdriver.common.keys import Keys

from kommune_ikt.auth.actor import Actor
from kommune_ikt.auth.models import User
from servicedesk import queries, services
from tests.browser.pages import (
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
    activate(browser, "Legg til kommentar")
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
