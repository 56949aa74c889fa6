"""Municipalities: everyone reads, admins add (by number alone) and change."""

import pytest
import sqlalchemy as sa

from service_catalog.models import Municipality

pytestmark = pytest.mark.db


def count(session):
    return session.scalar(sa.select(sa.func.count()).select_from(Municipality))


def test_admin_adds_member_by_number_alone(client, create_user):
    admin = create_user("admin")
    response = client.post("/api/v1/municipalities", headers=admin.headers, json={"number": "3403"})
    assert response.status_code == 201, response.json
    body = response.json
    # Hamar: SSB population on 1 January 2024.
    assert (body["name"], body["population"], body["population_year"]) == ("Hamar", 32879, 2024)
    assert body["active"] is True
    assert body["sla_policy_set"] == "default"


def test_swedish_member_from_reference_data(client, create_user):
    admin = create_user("admin")
    response = client.post(
        "/api/v1/municipalities",
        headers=admin.headers,
        json={"number": "2184", "joined_on": "2020-01-01"},
    )
    assert response.status_code == 201
    assert (response.json["name"], response.json["country"]) == ("Hudiksvall", "SE")


@pytest.mark.parametrize(
    "body",
    [
        {"number": "9998"},
        {"number": "9998", "name": "Nowhere", "population": 10, "population_year": 2024},
        # Heby's kommunkod: Swedish, but not in the shipped lists (stored as
        # Norwegian before, when given with a name and a population).
        {"number": "0331", "name": "Heby", "population": 14500, "population_year": 2024},
        # Eide's pre-2020 number: in neither list either.
        {"number": "1551", "name": "Eide", "population": 3472, "population_year": 2018},
    ],
)
def test_number_in_neither_official_list_is_422_naming_number(client, create_user, session, body):
    admin = create_user("admin")
    before = count(session)
    response = client.post("/api/v1/municipalities", headers=admin.headers, json=body)
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["number"]
    assert count(session) == before


@pytest.mark.parametrize(("number", "country"), [("2132", "SE"), ("2161", "SE"), ("1576", "NO")])
def test_country_follows_from_the_official_list(client, create_user, number, country):
    admin = create_user("admin")
    response = client.post("/api/v1/municipalities", headers=admin.headers, json={"number": number})
    assert response.status_code == 201
    assert response.json["country"] == country


def test_a_client_cannot_make_a_swedish_member_norwegian(client, create_user, session):
    admin = create_user("admin")
    body = {"number": "2184", "country": "NO"}
    response = client.post("/api/v1/municipalities", headers=admin.headers, json=body)
    assert response.status_code == 422 and "country" in response.json["errors"]
    ok = client.post(
        "/api/v1/municipalities", headers=admin.headers, json={"number": "2184", "country": "SE"}
    )
    assert ok.status_code == 201
    url = "/api/v1/municipalities/2184"
    etag = client.get(url, headers=admin.headers).headers["ETag"]
    patched = client.patch(url, headers={**admin.headers, "If-Match": etag}, json={"country": "NO"})
    assert patched.status_code == 422 and "country" in patched.json["errors"]
    session.expire_all()
    assert session.get(Municipality, "2184").country == "SE"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"number": "301"}, "number"),
        ({"number": "0301", "population": -1}, "population"),
        ({"number": "0301", "population": "many"}, "population"),
        ({"number": "0301", "joined_on": "yesterday"}, "joined_on"),
        ({"number": "0301", "joined_on": "2024-01-01", "left_on": "2023-01-01"}, "left_on"),
        ({"number": "0301", "country": "DK"}, "country"),
        ({}, "number"),
    ],
)
def test_bad_municipality_is_422_naming_the_field(client, create_user, session, body, field):
    admin = create_user("admin")
    before = count(session)
    response = client.post("/api/v1/municipalities", headers=admin.headers, json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert count(session) == before


def test_duplicate_member_is_409(client, create_user, create_municipality):
    admin = create_user("admin")
    create_municipality("1505")
    response = client.post("/api/v1/municipalities", headers=admin.headers, json={"number": "1505"})
    assert response.status_code == 409


@pytest.mark.parametrize(
    "role", ["requester", "orderer", "agent", "catalogue_manager", "operations"]
)
def test_only_admin_adds_municipalities(client, create_user, role):
    user = create_user(role, "1505" if role in {"requester", "orderer"} else None)
    response = client.post("/api/v1/municipalities", headers=user.headers, json={"number": "0301"})
    assert response.status_code == 403


def test_every_role_reads_municipalities(client, create_user, create_municipality):
    create_municipality("1563")
    requester = create_user("requester", "1505")
    listed = client.get("/api/v1/municipalities", headers=requester.headers)
    assert {m["number"] for m in listed.json["items"]} >= {"1505", "1563"}
    one = client.get("/api/v1/municipalities/1563", headers=requester.headers)
    assert one.status_code == 200
    assert one.headers["ETag"]


def test_unknown_municipality_is_404(client, create_user):
    user = create_user("agent")
    response = client.get("/api/v1/municipalities/9999", headers=user.headers)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_patch_needs_if_match_and_rejects_stale(client, create_user, create_municipality):
    admin = create_user("admin")
    create_municipality("1560")
    url = "/api/v1/municipalities/1560"
    assert (
        client.patch(url, headers=admin.headers, json={"left_on": "2027-01-01"}).status_code == 428
    )
    stale = {**admin.headers, "If-Match": '"stale"'}
    assert client.patch(url, headers=stale, json={"left_on": "2027-01-01"}).status_code == 412
    etag = client.get(url, headers=admin.headers).headers["ETag"]
    changed = client.patch(
        url, headers={**admin.headers, "If-Match": etag}, json={"left_on": "2027-01-01"}
    )
    assert changed.status_code == 200
    assert changed.json["left_on"] == "2027-01-01"
    assert changed.headers["ETag"] != etag


def test_non_admin_patch_is_403_before_if_match(client, create_user, create_municipality):
    create_municipality("1560")
    orderer = create_user("orderer", "1560")
    response = client.patch(
        "/api/v1/municipalities/1560", headers=orderer.headers, json={"population": 1}
    )
    assert response.status_code == 403


def test_member_that_left_is_inactive(client, create_user, create_municipality):
    # Eide left IKT Orkidé on 1 January 2019 (it_collaborations.csv); its pre-2020
    # number is in neither official list, so Hustadvika (1579, its successor) stands in.
    create_municipality(
        "1579",
        joined_on=__import__("datetime").date(2010, 1, 1),
        left_on=__import__("datetime").date(2019, 1, 1),
    )
    admin = create_user("admin")
    assert client.get("/api/v1/municipalities/1579", headers=admin.headers).json["active"] is False
    inactive = client.get("/api/v1/municipalities?active=false", headers=admin.headers).json[
        "items"
    ]
    assert [m["number"] for m in inactive] == ["1579"]
