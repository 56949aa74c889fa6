"""Portal fixtures: the demo sign-in switched on, and a test client signed in through it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.support.portal import bokmal_client, csrf


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
