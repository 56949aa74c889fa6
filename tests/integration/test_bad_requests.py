"""Malformed requests get a clear 4xx as problem+json, never a 500."""

import pytest

from kommune_ikt.app import create_app

pytestmark = pytest.mark.db


def test_unknown_path_is_404_problem(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code in {401, 404}
    assert response.content_type == "application/problem+json"


def test_wrong_method_is_405_problem(client, create_user):
    admin = create_user("admin")
    response = client.delete("/api/v1/municipalities", headers=admin.headers)
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"


def test_huge_id_is_404_not_a_database_overflow(client, create_user):
    admin = create_user("admin")
    response = client.post(
        "/api/v1/users/99999999999999999999/tokens", headers=admin.headers, json={}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("[1, 2]", "application/json"),
        ('"just a string"', "application/json"),
        ("null", "application/json"),
        ("email=a@b.no", "application/x-www-form-urlencoded"),
        ("\xff\xfe", "application/json"),
    ],
)
def test_body_that_is_not_an_object_is_4xx(client, create_user, data, content_type):
    admin = create_user("admin")
    response = client.post(
        "/api/v1/users", headers=admin.headers, data=data, content_type=content_type
    )
    assert 400 <= response.status_code < 500
    assert response.content_type == "application/problem+json"


def test_wrong_types_in_query_are_422_naming_the_parameter(client, create_user):
    admin = create_user("admin")
    response = client.get("/api/v1/municipalities?active=perhaps", headers=admin.headers)
    assert response.status_code == 422
    assert "active" in response.json["errors"]


def test_unreachable_database_gives_503_problem_and_not_ready():
    app = create_app({"database_url": "postgresql+psycopg://postgres@127.0.0.1:1/none"})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer kikt_x"})
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.headers["Retry-After"]
