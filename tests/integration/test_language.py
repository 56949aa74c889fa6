"""Problem texts follow the caller's language: the user's setting, Accept-Language, the default."""

import pytest

from kommune_ikt.app import create_app
from kommune_ikt.config import Settings

pytestmark = pytest.mark.db


def test_default_language_is_bokmal():
    assert Settings.from_env({}).default_language == "nb"
    app = create_app({"database_url": "sqlite://", "secret_key": "t", "default_language": "nb"})
    body = app.test_client().get("/api/v1/municipalities").json
    assert body["title"] == "Ikke autentisert"
    assert body["detail"] == "Send Authorization: Bearer <token>."


def test_deployment_default_applies_without_accept_language():
    app = create_app({"database_url": "sqlite://", "secret_key": "t", "default_language": "sv"})
    body = app.test_client().get("/api/v1/municipalities").json
    assert body["title"] == "Inte autentiserad"


def test_accept_language_picks_swedish(client):
    response = client.get("/api/v1/municipalities", headers={"Accept-Language": "sv-SE,sv;q=0.9"})
    assert response.json["title"] == "Inte autentiserad"
    assert response.json["type"].endswith("/not-authenticated")


@pytest.mark.parametrize(
    ("header", "title"),
    [
        ("en-GB,en;q=0.8", "Not authenticated"),
        ("nn", "Ikkje autentisert"),
        ("no", "Ikke autentisert"),
        ("de-DE,fr;q=0.8", "Not authenticated"),  # the tests' deployment default
    ],
)
def test_accept_language_tags(client, header, title):
    response = client.get("/api/v1/municipalities", headers={"Accept-Language": header})
    assert response.json["title"] == title


def test_validation_messages_and_detail_are_translated(client, create_user):
    admin = create_user("admin")
    response = client.post(
        "/api/v1/users",
        headers={**admin.headers, "Accept-Language": "sv"},
        json={"role": "agent"},
    )
    assert response.status_code == 422
    assert response.json["title"] == "Valideringen misslyckades"
    assert response.json["errors"] == {"email": ["Fältet måste fyllas i."]}
    assert response.json["detail"] == "Begäran har ogiltiga fält: email."


def test_field_names_and_codes_never_change(client, create_user):
    admin = create_user("admin")
    response = client.get(
        "/api/v1/users/999999", headers={**admin.headers, "Accept-Language": "nn"}
    )
    assert response.status_code in (404, 405)
    assert set(response.json) >= {"type", "title", "status", "detail"}
