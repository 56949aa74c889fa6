"""The web pages through the test client: a Bokmål browser, and the CSRF token of a page."""

from __future__ import annotations

import re
from typing import Any

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def bokmal_client(app: Any) -> Any:
    """A browser that asks for Bokmål, as the people these tests read pages as do
    (the suite's DEFAULT_LANGUAGE is English)."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nb-NO,nb;q=0.9"
    return browser
