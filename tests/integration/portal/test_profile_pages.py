"""My profile: name and language (as PATCH /me), role and municipality shown."""

from __future__ import annotations

import pytest

from kommune_ikt.core.auth.models import User
from tests.support.desk import HOST
from tests.support.portal import csrf

pytestmark = pytest.mark.db


def _save(browser, **fields):
    token = csrf(browser.get("/profile").get_data(as_text=True))
    return browser.post("/profile", data={"csrf_token": token, **fields})


def _stored(session, user_id: int) -> User:
    session.expire_all()
    return session.get(User, user_id)


def test_profile_shows_role_and_municipality_read_only(sign_in, create_user):
    me = create_user("orderer", HOST)
    page = sign_in(me).get("/profile").get_data(as_text=True)
    assert me.email in page
    assert "Bestiller" in page and "Kristiansund (1505)" in page
    assert 'name="role"' not in page and 'name="municipality"' not in page
    assert '<option lang="nn" value="nn">Norsk nynorsk</option>' in page


def test_choosing_nynorsk_turns_the_pages_nynorsk_at_once(sign_in, session, create_user):
    me = create_user("requester", HOST)
    browser = sign_in(me)
    assert "Mine saker" in browser.get("/").get_data(as_text=True)
    response = _save(browser, name="Kari Nordmann", language="nn")
    assert response.status_code == 303
    stored = _stored(session, me.id)
    assert (stored.name, stored.language) == ("Kari Nordmann", "nn")
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="nn">' in page
    assert "Sakene mine" in page and "Hopp til innhaldet" in page  # the menu, in nynorsk
    assert "Endringane er lagra." in page
    assert 'value="Kari Nordmann"' in page
    assert "Sakene mine" in browser.get("/tickets").get_data(as_text=True)


def test_following_the_browser_again_clears_the_setting(sign_in, session, create_user):
    me = create_user("requester", HOST)
    browser = sign_in(me)
    _save(browser, name="", language="sv")
    assert '<html lang="sv">' in browser.get("/profile").get_data(as_text=True)
    assert _save(browser, name="", language="").status_code == 303
    assert _stored(session, me.id).language is None
    assert '<html lang="nb">' in browser.get("/profile").get_data(as_text=True)  # the browser's


def test_a_too_long_name_names_the_field_and_keeps_what_was_typed(sign_in, session, create_user):
    me = create_user("agent")
    browser = sign_in(me)
    long_name = "Kari " * 50
    response = _save(browser, name=long_name, language="en")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#name"' in page and "Høyst 200 tegn." in page
    assert long_name.strip() in page and 'aria-invalid="true"' in page
    stored = _stored(session, me.id)
    assert stored.language is None and stored.name == ""


def test_an_unknown_language_is_refused(sign_in, session, create_user):
    me = create_user("agent")
    response = _save(sign_in(me), name="", language="de")
    assert response.status_code == 422
    assert 'href="#language"' in response.get_data(as_text=True)
    assert _stored(session, me.id).language is None


def test_saving_without_the_csrf_token_changes_nothing(sign_in, session, create_user):
    me = create_user("agent")
    browser = sign_in(me)
    assert browser.post("/profile", data={"name": "X", "language": "en"}).status_code == 422
    assert _stored(session, me.id).language is None


def test_profile_needs_sign_in_and_is_in_every_roles_menu(client, sign_in, create_user):
    response = client.get("/profile")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    for role, number in (("requester", HOST), ("operations", None)):
        page = sign_in(create_user(role, number)).get("/").get_data(as_text=True)
        assert 'href="/profile"' in page and "Min profil" in page
