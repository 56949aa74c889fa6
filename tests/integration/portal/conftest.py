"""Portal test helpers: a demo sign-in for the test client, and the CSRF token of a page."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from tests.integration.servicedesk.conftest import HOST, OTHER, TICKET, create_service, desk

__all__ = ["HOST", "OTHER", "TICKET", "create_service", "desk"]

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


@pytest.fixture
def demo_on(app):
    """DEMO_SIGNIN=1 for one test."""
    before = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(before, demo_signin=True)
    yield
    app.config["SETTINGS"] = before


@pytest.fixture
def sign_in(app, demo_on):
    """``sign_in(user)``: a fresh test client signed in through the demo page."""

    def do(user: Any) -> Any:
        browser = bokmal_client(app)
        token = csrf(browser.get("/sign-in/demo").get_data(as_text=True))
        response = browser.post(f"/sign-in/demo/{user.id}", data={"csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        return browser

    return do
