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


# --- issue 15, item 18: inputs that used to be a 500 ----------------------------

TICKET = {
    "title": "Skriver",
    "description": "Papirstopp.",
    "type": "incident",
    "impact": 2,
    "urgency": 2,
}
REST = '"type": "incident", "impact": 2, "urgency": 2'


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"title": "Skriver \\ud800", "description": "x", ' + REST + "}", "title"),
        ('{"title": "Skriver", "description": "a\\udfffb", ' + REST + "}", "description"),
        ('{"title": "Skriver", "description": "x", ' + REST + ', "\\udc80": 1}', "body"),
    ],
)
def test_text_with_a_lone_surrogate_is_422_naming_the_field(client, create_user, raw, field):
    requester = create_user("requester", "1505")
    response = client.post(
        "/api/v1/tickets", headers=requester.headers, data=raw, content_type="application/json"
    )
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == [field]


def test_a_surrogate_pair_is_one_character_and_passes(client, create_user):
    requester = create_user("requester", "1505")
    raw = '{"title": "Skriver \\ud83d\\udda8", "description": "x", ' + REST + "}"
    response = client.post(
        "/api/v1/tickets", headers=requester.headers, data=raw, content_type="application/json"
    )
    assert response.status_code == 201, response.json
    assert response.json["title"] == "Skriver \U0001f5a8"


def test_a_lone_surrogate_in_a_comment_is_422(client, create_user):
    requester = create_user("requester", "1505")
    ticket = client.post("/api/v1/tickets", headers=requester.headers, json=TICKET).json
    response = client.post(
        f"/api/v1/tickets/{ticket['id']}/comments",
        headers=requester.headers,
        data='{"body": "hei \\ud83d"}',
        content_type="application/json",
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["body"]


def _cursor(values) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%%%",
        _cursor(["2026-01-01T00:00:00+00:00", 2**70]),  # an id past any integer column
        _cursor(["2026-01-01T00:00:00+00:00", -(2**70)]),
        _cursor(["2026-01-01T00:00:00+00:00", 1e20]),
        _cursor(["0001-01-01T00:00:00+05:00", 1]),  # before year 1 in UTC
        _cursor(["9999-12-31T23:59:59-05:00", 1]),  # after year 9999 in UTC
        _cursor(["2026-01-01T00:00:00", 1]),  # no offset
        _cursor([{"a": 1}, 1]),
        _cursor(None),
        _cursor("x" * 10),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/outages", "/api/v1/services"])
def test_a_forged_or_out_of_range_cursor_is_400_naming_cursor(client, create_user, path, cursor):
    agent = create_user("agent")
    response = client.get(path, query_string={"cursor": cursor}, headers=agent.headers)
    assert response.status_code == 400, response.json
    assert response.content_type == "application/problem+json"
    assert list(response.json["errors"]) == ["cursor"]


@pytest.mark.parametrize("value", [1e20, -1e20, 2.0**31, "1e20", "99999999999", "-99999999999"])
def test_an_integer_past_the_column_given_as_a_float_or_string_is_422(client, create_user, value):
    admin = create_user("admin")
    body = {"number": "1554", "joined_on": "2019-01-01", "population": value}
    response = client.post("/api/v1/municipalities", headers=admin.headers, json=body)
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == ["population"]


def test_an_integer_past_the_column_in_the_query_is_422(client, create_user):
    agent = create_user("agent")
    response = client.get(
        "/api/v1/tickets", query_string={"assignee": "99999999999"}, headers=agent.headers
    )
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == ["assignee"]


@pytest.mark.parametrize("depth", [100, 5_000, 100_000])
@pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a":', "}")])
def test_deeply_nested_json_is_a_4xx_not_a_recursion_error(
    client, create_user, depth, open_, close
):
    requester = create_user("requester", "1505")
    raw = '{"title": "x", "description": "y", ' + REST + ', "extra": '
    raw += open_ * depth + "1" + close * depth + "}"
    response = client.post(
        "/api/v1/tickets", headers=requester.headers, data=raw, content_type="application/json"
    )
    assert response.status_code in (400, 422), response.get_data(as_text=True)[:300]
    assert response.content_type == "application/problem+json"
