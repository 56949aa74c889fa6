"""Sign-in sessions of the web interface: server-side, ended at once, CSRF-checked."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth.models import User
from portal.models import WebSession
from tests.support.desk import HOST, OTHER
from tests.support.portal import bokmal_client, csrf

pytestmark = pytest.mark.db


def test_root_is_the_sign_in_page_for_a_stranger(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/sign-in")
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert "<h1" in page.get_data(as_text=True)


def test_demo_sign_in_does_not_exist_unless_switched_on(client, desk):
    assert client.get("/sign-in/demo").status_code == 404
    user = desk.create_user("requester", HOST)
    assert client.post(f"/sign-in/demo/{user.id}").status_code == 404


def test_demo_sign_in_needs_the_csrf_token(app, desk, demo_on):
    user = desk.create_user("requester", HOST)
    browser = bokmal_client(app)
    assert browser.post(f"/sign-in/demo/{user.id}").status_code == 400
    assert browser.get("/").status_code == 302


def test_signed_in_cookie_is_httponly_lax_and_the_token_is_stored_hashed(
    app, desk, session, demo_on
):
    user = desk.create_user("requester", HOST)
    browser = bokmal_client(app)
    token = csrf(browser.get("/sign-in/demo").get_data(as_text=True))
    response = browser.post(f"/sign-in/demo/{user.id}", data={"csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    rows = session.scalars(sa.select(WebSession).where(WebSession.user_id == user.id)).all()
    assert len(rows) == 1 and len(rows[0].id) == 64
    assert browser.get("/").status_code == 200


def test_cookie_is_secure_behind_tls(app, desk, demo_on):
    user = desk.create_user("requester", HOST)
    browser = bokmal_client(app)
    token = csrf(browser.get("/sign-in/demo", base_url="https://localhost").get_data(as_text=True))
    response = browser.post(
        f"/sign-in/demo/{user.id}", data={"csrf_token": token}, base_url="https://localhost"
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_api_stays_cookieless(client, desk):
    user = desk.create_user("requester", HOST)
    response = client.get("/api/v1/tickets", headers=user.headers)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_sign_out_ends_the_session_row(sign_in, desk, session):
    user = desk.create_user("requester", HOST)
    browser = sign_in(user)
    token = csrf(browser.get("/").get_data(as_text=True))
    assert browser.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert browser.get("/").status_code == 302
    assert (
        session.scalar(
            sa.select(sa.func.count()).select_from(WebSession).where(WebSession.user_id == user.id)
        )
        == 0
    )


@pytest.mark.parametrize(
    "change",
    [{"active": False}, {"role": "orderer"}, {"municipality_number": OTHER}],
    ids=["deactivated", "role", "municipality"],
)
def test_a_change_of_the_user_ends_the_session_at_once(sign_in, desk, session, change):
    user = desk.create_user("requester", HOST)
    browser = sign_in(user)
    assert browser.get("/").status_code == 200
    session.execute(sa.update(User).where(User.id == user.id).values(**change))
    session.commit()
    assert browser.get("/").status_code == 302


def test_an_idle_session_ends(sign_in, desk, session, app):
    user = desk.create_user("requester", HOST)
    browser = sign_in(user)
    from datetime import timedelta

    from kommune_ikt.core.types import utcnow

    session.execute(
        sa.update(WebSession)
        .where(WebSession.user_id == user.id)
        .values(last_seen_at=utcnow() - timedelta(minutes=31))
    )
    session.commit()
    assert browser.get("/").status_code == 302
