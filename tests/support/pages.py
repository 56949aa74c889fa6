"""Driving the pages like a person: keyboard only, axe-core, the crawler, the live server.

Keyboard helpers never click: they press keys on whatever has focus and read the
focused element through ``switch_to.active_element``, so a journey fails when
something cannot be reached or used from the keyboard.
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from sqlalchemy.orm import Session

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BINARY", "/usr/bin/chromedriver")
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# The people these pages are for read Bokmål; the suite's DEFAULT_LANGUAGE is English.
LANGUAGE = "nb-NO,nb"


def chromium_missing() -> str | None:
    """The Chromium or chromedriver binary that is not installed, if any."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return path
    return None


ROOT = Path(__file__).resolve().parents[2]
AXE = (ROOT / "portal" / "static" / "vendor" / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NARROW = (320, 900)
WIDE = (1280, 900)
# Demo users, one per role (kommune_ikt/demo.py).
DEMO_USERS = {
    "requester": "requester@kristiansund.demo",
    "orderer": "orderer@kristiansund.demo",
    "agent": "agent@orkide.demo",
    "catalogue_manager": "catalogue@orkide.demo",
    "operations": "operations@orkide.demo",
    "admin": "admin@orkide.demo",
}


# --- keyboard ----------------------------------------------------------------------


def press(driver: Any, *keys: str) -> None:
    """Press keys on whatever has focus (the document when nothing has)."""
    ActionChains(driver).send_keys(*keys).perform()


def focused(driver: Any) -> Any:
    return driver.switch_to.active_element


_NAME = """
const el = arguments[0];
const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
return [el.getAttribute('aria-label') || '', label, el.innerText || '', el.value || '',
        el.tagName.toLowerCase()];
"""


def accessible_text(driver: Any, element: Any) -> list[str]:
    """What a person would call the element: aria-label, its label, its text, its value."""
    aria, label, text, value, tag = driver.execute_script(_NAME, element)
    names = [aria, label, text]
    if tag in {"button", "input"}:
        names.append(value)
    return [" ".join(n.split()) for n in names if n and n.strip()]


def tab_to(
    driver: Any, text: str, *, limit: int = 120, backwards: bool = False, exact: bool = False
) -> Any:
    """Press TAB (SHIFT+TAB when ``backwards``) until the focused element is named
    ``text`` (exactly, or starting with it unless ``exact``); returns it. Fails after
    ``limit`` presses."""
    wanted = " ".join(text.split())
    seen: list[str] = []
    for _ in range(limit):
        press(driver, Keys.SHIFT + Keys.TAB if backwards else Keys.TAB)
        element = focused(driver)
        names = accessible_text(driver, element)
        if any(n == wanted or (not exact and n.startswith(wanted)) for n in names):
            return element
        seen.append(names[0] if names else element.tag_name)
    raise AssertionError(f"{text!r} not reached by keyboard in {limit} presses; passed {seen}")


def type_text(driver: Any, text: str) -> None:
    """Type into the focused field."""
    focused(driver).send_keys(text)


def activate(driver: Any, text: str) -> None:
    """TAB to a link or button named ``text`` and press ENTER."""
    tab_to(driver, text)
    press(driver, Keys.ENTER)


def fill(driver: Any, label: str, text: str) -> None:
    """TAB to the field labelled exactly ``label`` and type ``text`` (a select picks by
    typing)."""
    tab_to(driver, label, exact=True)
    type_text(driver, text)


def wait_for(
    predicate: Callable[[], Any],
    what: str | Callable[[], str],
    timeout: float = 10.0,
    interval: float = 0.05,
) -> Any:
    """Poll ``predicate`` until it is true; ``what`` (or what it returns) names it on failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")


def wait_for_path(driver: Any, pattern: str, timeout: float = 10.0) -> str:
    """Wait until the address's path matches ``pattern`` (a regex); returns the path."""
    regex = re.compile(pattern)

    def matches() -> str | None:
        path = urlsplit(driver.current_url).path
        ready = driver.execute_script("return document.readyState") == "complete"
        return path if ready and regex.fullmatch(path) else None

    return wait_for(matches, lambda: f"a page at {pattern} (now {driver.current_url})", timeout)


def page_text(driver: Any) -> str:
    return driver.execute_script("return document.body.innerText")


# --- signing in --------------------------------------------------------------------


def demo_sign_in(driver: Any, base: str, role: str) -> None:
    """Sign in as the demo user of ``role`` through the demo page (its button, by name)."""
    driver.get(base + "/sign-in/demo")
    email = DEMO_USERS[role]
    button = driver.find_element("css selector", f'button[aria-label$="{email}"]')
    button.click()
    wait_for_path(driver, "/")


# --- axe-core ----------------------------------------------------------------------

_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '), html: n.html,
                                            summary: n.failureSummary}))}))))
  .catch(e => done([{id: 'axe-error', impact: 'error', help: String(e), helpUrl: '', nodes: []}]));
"""


def axe(driver: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the current page."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE)
    return driver.execute_async_script(_RUN_AXE, AXE_TAGS)


def describe(violations: Iterable[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"      at {node['target']}: {node['html'][:160]}")
            summary = " ".join((node.get("summary") or "").split())
            if summary:
                lines.append(f"         {summary[:300]}")
    return "\n".join(lines)


@dataclass
class Findings:
    """What the checks found, page by page, reported together at the end."""

    problems: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def check_page(self, driver: Any, label: str) -> None:
        """axe at 1280 px, then at 320 px with the reflow check (WCAG 1.4.10)."""
        self.pages.append(label)
        wide = axe(driver)
        if wide:
            self.problems.append(f"{label} at {WIDE[0]} px:\n{describe(wide)}")
        driver.set_window_size(*NARROW)
        try:
            width = driver.execute_script("return document.documentElement.scrollWidth")
            if width > NARROW[0] + 1:
                culprits = driver.execute_script(_WIDE_ELEMENTS, NARROW[0])
                self.problems.append(
                    f"{label} at {NARROW[0]} px: scrolls sideways ({width} px wide); "
                    f"widest: {culprits}"
                )
            narrow = axe(driver)
            if narrow:
                self.problems.append(f"{label} at {NARROW[0]} px:\n{describe(narrow)}")
        finally:
            driver.set_window_size(*WIDE)

    def report(self) -> str:
        return f"{len(self.problems)} problem(s) on {len(self.pages)} page(s):\n" + "\n".join(
            self.problems
        )


_WIDE_ELEMENTS = """
// The innermost elements whose content sticks out of them without a scroll bar of their own.
const wide = e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible';
return Array.from(document.querySelectorAll('body *'))
  .filter(e => wide(e) && !Array.from(e.children).some(wide))
  .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' "' +
                        (e.innerText || '').slice(0, 40) + '"');
"""


# --- the crawler -------------------------------------------------------------------

# Not pages: downloads, the API and its docs, operations endpoints, static files.
SKIP_PATHS = re.compile(
    r"(\.(csv|xlsx|xls|pdf|json|zip|txt)$)|(/attachments/\d+)|(^/(api|static|metrics|healthz|readyz)(/|$))"
    r"|(^/sign-out)|(/sign-in/callback)"
)
SKIP_QUERY = re.compile(r"(^|&)(format|download)=")
_ID_SEGMENT = re.compile(
    r"^(\d+|[A-Za-z]+-\d{4}-\d+|[A-Z0-9][A-Z0-9_-]*\d[A-Z0-9_-]*|[A-Z][A-Z0-9_-]+)$"
)


def page_key(path: str, query: str) -> str:
    """A page's identity for the crawl: ids, numbers and codes in the path count once
    (``/tickets/1`` and ``/tickets/2`` are one page), query values do not count."""
    segments = ["{id}" if _ID_SEGMENT.match(s) else s for s in path.split("/")]
    keys = sorted({part.split("=", 1)[0] for part in query.split("&") if part})
    return "/".join(segments) + ("?" + "&".join(keys) if keys else "")


def crawl(
    driver: Any,
    base: str,
    findings: Findings,
    label: str,
    *,
    start: str = "/",
    cap: int = 60,
) -> list[str]:
    """Breadth-first over every same-origin ``<a href>`` from ``start``: each new page
    (by ``page_key``) is loaded, checked (``Findings.check_page``) and its links queued.
    Pages are fetched first without the browser too, so a 500, a download or a
    non-HTML answer is reported (or skipped) instead of hanging the browser."""
    origin = urlsplit(base)
    http = requests.Session()
    for cookie in driver.get_cookies():
        http.cookies.set(cookie["name"], cookie["value"])
    http.headers["Accept-Language"] = "nb-NO,nb"
    queue: deque[str] = deque([urljoin(base, start)])
    seen: set[str] = set()
    visited: list[str] = []
    while queue and len(visited) < cap:
        url = queue.popleft()
        parts = urlsplit(url)
        key = page_key(parts.path, parts.query)
        if key in seen:
            continue
        seen.add(key)
        answer = http.get(url, timeout=30, allow_redirects=True)
        answer.close()
        if answer.status_code >= 500:
            findings.problems.append(f"{label}: {url} answered {answer.status_code}")
            continue
        if "text/html" not in answer.headers.get("Content-Type", ""):
            continue
        driver.get(url)
        visited.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        findings.check_page(driver, f"{label} {visited[-1]}")
        hrefs = driver.execute_script(
            "return Array.from(document.querySelectorAll('a[href]:not([download])'), a => a.href)"
        )
        for href in hrefs:
            target = urlsplit(href)
            if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
                continue
            if SKIP_PATHS.search(target.path) or SKIP_QUERY.search(target.query):
                continue
            clean = target._replace(fragment="").geturl()
            if page_key(target.path, target.query) not in seen:
                queue.append(clean)
    return visited


@dataclass
class Live:
    """The served app: its address, and a way to its database for set-up and checks."""

    url: str
    app: Any
    issuer: str

    def session(self) -> Session:
        """A session on the live database (commit what you set up)."""
        return self.app.extensions["kommune_ikt.db"].sessionmaker()
