"""Authentication and roles over HTTP."""

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth.models import ApiToken, User

pytestmark = pytest.mark.db


def test_missing_token_is_401_problem(client):
    response = client.get("/api/v1/municipalities")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic abc", "kikt_x", "Bearer nope"])
def test_malformed_or_unknown_token_is_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["status"] == 401


def test_revoked_token_is_401(client, create_user):
    admin = create_user("admin")
    victim = create_user("agent")
    assert client.get("/api/v1/me", headers=victim.headers).status_code == 200
    revoke = client.delete(f"/api/v1/tokens/{victim.token_id}", headers=admin.headers)
    assert revoke.status_code == 204
    assert client.get("/api/v1/me", headers=victim.headers).status_code == 401


def test_me_shows_role_and_municipality(client, create_user):
    user = create_user("requester", "1505")
    body = client.get("/api/v1/me", headers=user.headers).json
    assert (body["role"], body["municipality"], body["email"]) == ("requester", "1505", user.email)


def test_token_use_records_last_used(client, create_user, session):
    user = create_user("agent")
    client.get("/api/v1/me", headers=user.headers)
    token = session.get(ApiToken, user.token_id)
    session.refresh(token)
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "role", ["requester", "orderer", "agent", "catalogue_manager", "operations"]
)
def test_only_admin_lists_and_creates_users(client, create_user, role):
    user = create_user(role, "1505" if role in {"requester", "orderer"} else None)
    assert client.get("/api/v1/users", headers=user.headers).status_code == 403
    created = client.post(
        "/api/v1/users", headers=user.headers, json={"email": "x@y.no", "role": "agent"}
    )
    assert created.status_code == 403


def test_admin_creates_user_and_token_shown_once(client, create_user, create_municipality, session):
    admin = create_user("admin")
    create_municipality("1505")
    created = client.post(
        "/api/v1/users",
        headers=admin.headers,
        json={"email": "Ny@Kristiansund.kommune.no", "role": "orderer", "municipality": "1505"},
    )
    assert created.status_code == 201, created.json
    assert created.json["email"] == "ny@kristiansund.kommune.no"
    issued = client.post(
        f"/api/v1/users/{created.json['id']}/tokens", headers=admin.headers, json={}
    )
    assert issued.status_code == 201
    secret = issued.json["token"]
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json["role"]
        == "orderer"
    )
    stored = session.scalars(sa.select(ApiToken.token_hash)).all()
    assert secret not in stored


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "role": "agent"}, "email"),
        ({"email": "a@b.no", "role": "boss"}, "role"),
        ({"email": "a@b.no", "role": "requester"}, "municipality"),
        ({"email": "a@b.no", "role": "agent", "municipality": "1505"}, "municipality"),
        ({"email": "a@b.no", "role": "orderer", "municipality": "9999"}, "municipality"),
        ({"email": "a@b.no", "role": "orderer", "municipality": "15x5"}, "municipality"),
    ],
)
def test_bad_user_is_422_naming_the_field_and_writes_nothing(
    client, create_user, session, body, field
):
    admin = create_user("admin")
    before = session.scalar(sa.select(sa.func.count()).select_from(User))
    response = client.post("/api/v1/users", headers=admin.headers, json=body)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert field in response.json["errors"]
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_duplicate_email_is_409(client, create_user):
    admin = create_user("admin")
    body = {"email": "dup@b.no", "role": "agent"}
    assert client.post("/api/v1/users", headers=admin.headers, json=body).status_code == 201
    again = client.post("/api/v1/users", headers=admin.headers, json=body)
    assert again.status_code == 409
    assert "email" in again.json["errors"]


def test_malformed_json_is_400_naming_the_body(client, create_user):
    admin = create_user("admin")
    response = client.post(
        "/api/v1/users", headers=admin.headers, data="{bad", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["errors"] == {"body": ["Invalid JSON body."]}


def test_agent_marks_self_unavailable(client, create_user):
    agent = create_user("agent")
    response = client.put(
        "/api/v1/me/availability", headers=agent.headers, json={"available": False}
    )
    assert response.status_code == 200
    assert response.json["available"] is False


def test_repeated_failed_authentication_is_rate_limited(app, client):
    limiter = app.extensions["kommune_ikt.auth_limiter"]
    settings = app.config["SETTINGS"]
    for _ in range(settings.auth_failures_per_minute):
        limiter.record("10.9.9.9")
    response = client.get(
        "/api/v1/me",
        headers={"Authorization": "Bearer wrong"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
