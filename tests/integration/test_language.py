"""Problem texts follow the caller's language: the user's setting, Accept-Language, the default."""

import pytest

from kommune_ikt.app import create_app
from kommune_ikt.core.config import Settings
from kommune_ikt.core.errors import NotFound
from kommune_ikt.core.messages import N_, translator
from service_catalog import special_requests

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
    assert response.headers["Content-Language"] == "sv"
    assert "Accept-Language" in response.headers["Vary"]
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
    assert response.status_code == 404
    assert response.json["type"].endswith("/not-found")
    assert (response.json["title"], response.json["detail"]) == (
        "Ikkje funne",
        "Brukaren finst ikkje.",
    )
    invalid = client.post(
        "/api/v1/users",
        headers={**admin.headers, "Accept-Language": "nn"},
        json={"email": "a@b.no", "role": "requester"},
    )
    assert invalid.status_code == 422
    assert invalid.json["errors"] == {"municipality": ["Rolla requester høyrer til ein kommune."]}
    assert invalid.json["detail"] == "municipality: Rolla requester høyrer til ein kommune."


def test_another_municipalitys_object_and_a_missing_one_read_the_same(create_user, session):
    # Tenancy: a translated "not found" must not differ from the one for a missing object.
    orderer = create_user("orderer", "1505")
    swedish = translator("sv")
    with pytest.raises(NotFound) as missing:
        special_requests.get_request(session, orderer.actor, 999999)
    with pytest.raises(NotFound) as hidden:
        orderer.actor.ensure_visible("1554", N_("Special request"))
    assert missing.value.to_problem(swedish) == hidden.value.to_problem(swedish)
    assert missing.value.to_problem(swedish)["detail"] == "Specialbeställningen hittades inte."


def test_library_messages_are_translated(client, create_user):
    admin = create_user("admin")
    response = client.get(
        "/api/v1/users?limit=500", headers={**admin.headers, "Accept-Language": "nb"}
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"limit": ["Må være fra og med 1 til og med 200."]}


def test_an_untranslated_detail_stays_english_not_an_error(client, create_user):
    agent = create_user("agent")
    response = client.get(
        "/api/v1/tickets/999999", headers={**agent.headers, "Accept-Language": "sv"}
    )
    assert response.status_code == 404
    assert response.json["title"] == "Hittades inte"
    assert response.json["detail"]
