"""axe-core (WCAG 2.0/2.1 A and AA) on every page each role can reach, at 1280 and 320 px.

A crawler per demo role signs in through the demo page, starts at ``/`` and follows
every same-origin link breadth-first (tests/support/pages.py: downloads, the API and
sign-out skipped, ids in paths counted once, at most 60 pages per role), so pages
added later are checked without touching this file. Besides: the pages a signed-out
person sees, the not-found page, and a form re-rendered with its errors. At 320 px
the page must not scroll sideways (WCAG 1.4.10 Reflow).
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys

from tests.support.pages import (
    DEMO_USERS,
    Findings,
    crawl,
    demo_sign_in,
    focused,
    press,
    wait_for,
    wait_for_path,
)

pytestmark = [pytest.mark.browser, pytest.mark.db]


@pytest.mark.parametrize("role", list(DEMO_USERS))
def test_every_page_a_role_reaches_passes_axe_at_both_widths(browser, live, role):
    demo_sign_in(browser, live.url, role)
    findings = Findings()
    visited = crawl(browser, live.url, findings, role)
    assert {"/", "/tickets", "/tickets/new"} <= set(visited), visited
    browser.get(live.url + "/tickets/999999999")  # the not-found page
    findings.check_page(browser, f"{role} not-found page")
    assert not findings.problems, findings.report()


def test_signed_out_pages_pass_axe(browser, live):
    findings = Findings()
    visited = crawl(browser, live.url, findings, "signed out")
    assert {"/sign-in", "/sign-in/demo"} <= set(visited), visited
    assert not findings.problems, findings.report()


def test_a_form_with_its_errors_passes_axe(browser, live):
    demo_sign_in(browser, live.url, "requester")
    browser.get(live.url + "/tickets/new")
    browser.find_element("css selector", "main form button[type=submit]").click()
    # The path does not change: wait for the answer's summary (the form page was complete
    # at that path already, before the POST's answer came).
    wait_for(lambda: browser.find_elements("css selector", "#error-summary"), "the error summary")
    wait_for_path(browser, "/tickets/new")
    findings = Findings()
    findings.check_page(browser, "Meld sak with errors")
    assert not findings.problems, findings.report()


_INDICATOR = """
const s = getComputedStyle(arguments[0]);
const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
const shadow = s.boxShadow && s.boxShadow !== 'none';
const r = arguments[0].getBoundingClientRect();
return {outline: outline, shadow: shadow, style: s.outlineStyle + ' ' + s.outlineWidth + ' / ' +
        s.boxShadow, visible: r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0};
"""


def test_the_first_links_show_where_the_keyboard_focus_is(browser, live):
    demo_sign_in(browser, live.url, "requester")
    browser.get(live.url + "/")
    for name in ("the skip link", "the first link after it"):
        press(browser, Keys.TAB)
        element = focused(browser)
        assert element.tag_name == "a", f"{name}: focus is on {element.tag_name}"
        seen = browser.execute_script(_INDICATOR, element)
        assert seen["outline"] or seen["shadow"], f"{name} has no focus indicator: {seen}"
        assert seen["visible"], f"{name} is focused but off screen: {seen}"


def test_the_checks_find_what_they_should(browser):
    """A page with known faults: the harness must report them (else a green run means little)."""
    browser.get(
        "data:text/html;charset=utf-8,<title>x</title><img src='x.png'>"
        "<p style='width:600px'>bred</p>"
    )
    findings = Findings()
    findings.check_page(browser, "faulty page")
    report = findings.report()
    assert "image-alt" in report and "html-has-lang" in report, report
    assert "scrolls sideways" in report, report
