"""Sign-in through a real OpenID provider (oidc-provider-mock) running in the test."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa
from oidc_provider_mock import run_server_in_thread

from kommune_ikt.app import create_app
from kommune_ikt.core.auth.models import User
from tests.support.desk import HOST
from tests.support.portal import bokmal_client, csrf

pytestmark = [
    pytest.mark.db,
    # The mock provider (0.3.4, the newest for Python 3.11) calls an authlib API that
    # authlib now deprecates; that is the provider's business, not ours.
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]


@pytest.fixture
def provider(monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the mock speaks plain HTTP
    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def portal_for(engine, database_url, connection):
    """``portal_for(issuer, **settings)``: an app signing in through ``issuer``."""
    made = []

    def make(issuer: str, **settings):
        app = create_app(
            {
                "ENGINE": engine,
                "database_url": database_url,
                "secret_key": "test",
                "TESTING": True,
                "oidc_issuer": issuer,
                "oidc_client_id": "kommune-ikt",
                "oidc_client_secret": "hemmelig",
                **settings,
            }
        )
        maker = app.extensions["kommune_ikt.db"].sessionmaker
        maker.configure(bind=connection, join_transaction_mode="create_savepoint")
        made.append(app)
        return app

    return make


def _user_at_provider(issuer: str, sub: str, claims: dict) -> None:
    requests.put(f"{issuer}/users/{sub}", json=claims, timeout=10).raise_for_status()


def _sign_in(app, issuer: str, sub: str, *, client_id: str | None = None):
    """The browser's part of the code flow: start, choose the user at the provider, return."""
    browser = bokmal_client(app)
    token = csrf(browser.get("/sign-in").get_data(as_text=True))
    start = browser.post("/sign-in/oidc", data={"csrf_token": token})
    assert start.status_code == 302
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["state"] and query["nonce"]
    if client_id:
        authorize = authorize.replace("client_id=kommune-ikt", f"client_id={client_id}")
    chosen = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert chosen.status_code == 302, chosen.text
    back = urlsplit(chosen.headers["Location"])
    return browser, browser.get(f"{back.path}?{back.query}")


def test_code_flow_with_pkce_signs_in_the_user_with_that_email(provider, portal_for, create_user):
    user = create_user("requester", HOST)
    _user_at_provider(provider, "u1", {"email": user.email})
    app = portal_for(provider)
    browser, response = _sign_in(app, provider, "u1")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert browser.get("/").status_code == 200


def test_a_tampered_state_is_refused(provider, portal_for, create_user):
    user = create_user("requester", HOST)
    _user_at_provider(provider, "u1", {"email": user.email})
    app = portal_for(provider)
    browser = bokmal_client(app)
    token = csrf(browser.get("/sign-in").get_data(as_text=True))
    authorize = browser.post("/sign-in/oidc", data={"csrf_token": token}).headers["Location"]
    chosen = requests.post(authorize, data={"sub": "u1"}, allow_redirects=False, timeout=10)
    back = urlsplit(chosen.headers["Location"])
    code = parse_qs(back.query)["code"][0]
    response = browser.get(f"{back.path}?code={code}&state=forged")
    assert response.status_code == 403
    assert browser.get("/").status_code == 302


def test_a_wrong_issuer_is_refused(provider, portal_for, create_user):
    user = create_user("requester", HOST)
    _user_at_provider(provider, "u1", {"email": user.email})
    # Configured for one issuer, but the provider found (its metadata, its tokens) names another.
    app = portal_for("http://127.0.0.1:9/another-tenant")
    client = app.extensions["portal.oauth"].create_client("oidc")
    client._server_metadata_url = f"{provider}/.well-known/openid-configuration"
    browser, response = _sign_in(app, provider, "u1")
    assert response.status_code == 403
    assert browser.get("/").status_code == 302


def test_a_code_issued_to_another_client_is_refused(provider, portal_for, create_user):
    user = create_user("requester", HOST)
    _user_at_provider(provider, "u1", {"email": user.email})
    app = portal_for(provider)
    browser, response = _sign_in(app, provider, "u1", client_id="another-app")
    assert response.status_code == 403
    assert browser.get("/").status_code == 302


def test_an_unknown_person_is_refused_with_whom_to_ask(provider, portal_for, desk):
    _user_at_provider(provider, "u2", {"email": "ny@kristiansund.example"})
    app = portal_for(provider)
    _browser, response = _sign_in(app, provider, "u2")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "ny@kristiansund.example" in page and "administrator" in page


def test_an_unknown_person_is_provisioned_from_the_claims_when_asked(
    provider, portal_for, desk, session
):
    _user_at_provider(
        provider,
        "u3",
        {"email": "Ny@Kristiansund.example", "roles": ["orderer"], "kommunenummer": HOST},
    )
    app = portal_for(provider, oidc_provision=True)
    browser, response = _sign_in(app, provider, "u3")
    assert response.status_code == 302, response.get_data(as_text=True)
    made = session.scalar(sa.select(User).where(User.email == "ny@kristiansund.example"))
    assert (made.role, made.municipality_number) == ("orderer", HOST)
    assert "godkjenning" in browser.get("/").get_data(as_text=True)


def test_the_sign_in_page_lets_its_form_lead_to_the_provider(provider, portal_for):
    # Browsers apply form-action to the redirect after the POST too: with 'self' alone,
    # Chromium stays on the sign-in page (tests/browser found it).
    page = bokmal_client(portal_for(provider)).get("/sign-in")
    policy = page.headers["Content-Security-Policy"]
    assert f"form-action 'self' {provider}" in policy
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
