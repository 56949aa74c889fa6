"""Services and their yearly prices over HTTP."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service_catalog.models import Service, ServicePrice

pytestmark = pytest.mark.db

NEW_SERVICE = {
    "code": "M365-LIC",
    "name": "Microsoft 365-lisens",
    "tier": "optional",
    "category": "Lisenser",
    "availability_target": 0.995,
    "service_hours": "business",
    "owner_team": "Drift",
}


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_catalogue_manager_creates_service_planned_by_default(client, create_user):
    manager = create_user("catalogue_manager")
    response = client.post("/api/v1/services", headers=manager.headers, json=NEW_SERVICE)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["code"], body["status"], body["availability_target"]) == (
        "M365-LIC",
        "planned",
        0.995,
    )
    assert body["price"] is None


@pytest.mark.parametrize("role", ["requester", "orderer", "agent", "operations"])
def test_other_roles_cannot_create_services(client, create_user, session, role):
    user = create_user(role, "1505" if role in ("requester", "orderer") else None)
    response = client.post("/api/v1/services", headers=user.headers, json=NEW_SERVICE)
    assert response.status_code == 403
    assert _count(session, Service) == 0


def test_everyone_reads_service_with_this_years_price(client, create_user, make_service, this_year):
    make_service("SQL-LIC", "optional", years=(this_year - 1, this_year))
    requester = create_user("requester", "1505")
    body = client.get("/api/v1/services/SQL-LIC", headers=requester.headers).json
    assert body["price"] == {
        "year": this_year,
        "model": "unit",
        "unit": "licence",
        "unit_price": "49000.00",
        "period": "year",
        "setup_fee": "0.00",
    }


def test_price_shape_follows_the_tier(client, create_user, make_service, this_year):
    make_service("SD", "basic")
    make_service("KONSULENT", "special")
    user = create_user("requester", "1505")
    basic = client.get("/api/v1/services/SD", headers=user.headers).json["price"]
    special = client.get("/api/v1/services/KONSULENT", headers=user.headers).json["price"]
    assert basic == {
        "year": this_year,
        "model": "allocation",
        "annual_cost": "1200000.00",
        "allocation_key": "IKTNH 1/3 + 2/3",
    }
    assert special == {"year": this_year, "model": "quote", "hourly_rate": "650.00"}


def test_list_filters_by_tier_status_and_words(client, create_user, make_service):
    make_service("SD", "basic", name="Servicedesk")
    make_service("SQL-LIC", "optional", name="Lisens SQL database")
    make_service("OLD-LIC", "optional", status="retired", name="Gammel lisens")
    user = create_user("agent")

    def codes(query: str) -> list[str]:
        listed = client.get(f"/api/v1/services?{query}", headers=user.headers).json["items"]
        return [s["code"] for s in listed]

    assert codes("tier=optional") == ["OLD-LIC", "SQL-LIC"]
    assert codes("tier=optional&status=active") == ["SQL-LIC"]
    assert codes("q=lisens") == ["OLD-LIC", "SQL-LIC"]
    assert codes("q=sql database") == ["SQL-LIC"]


def test_list_pages_by_code(client, create_user, make_service):
    for code in ("A1", "B2", "C3"):
        make_service(code, "optional")
    user = create_user("agent")
    first = client.get("/api/v1/services?limit=2", headers=user.headers).json
    assert [s["code"] for s in first["items"]] == ["A1", "B2"]
    rest = client.get(
        f"/api/v1/services?limit=2&cursor={first['next_cursor']}", headers=user.headers
    ).json
    assert ([s["code"] for s in rest["items"]], rest["next_cursor"]) == (["C3"], None)


def test_patch_needs_if_match_and_follows_lifecycle(client, create_user, make_service):
    make_service("SQL-LIC", "optional")
    manager = create_user("catalogue_manager")
    url = "/api/v1/services/SQL-LIC"
    assert client.patch(url, headers=manager.headers, json={"status": "retired"}).status_code == 428
    etag = client.get(url, headers=manager.headers).headers["ETag"]
    stale = client.patch(url, headers={**manager.headers, "If-Match": '"stale"'}, json={})
    assert stale.status_code == 412
    retired = client.patch(
        url, headers={**manager.headers, "If-Match": etag}, json={"status": "retired"}
    )
    assert retired.status_code == 200
    etag = retired.headers["ETag"]
    back = client.patch(
        url, headers={**manager.headers, "If-Match": etag}, json={"status": "active"}
    )
    assert back.status_code == 409
    assert "Allowed from retired: none" in back.json["detail"]


def test_tier_cannot_change(client, create_user, make_service):
    make_service("SQL-LIC", "optional")
    manager = create_user("catalogue_manager")
    etag = client.get("/api/v1/services/SQL-LIC", headers=manager.headers).headers["ETag"]
    response = client.patch(
        "/api/v1/services/SQL-LIC",
        headers={**manager.headers, "If-Match": etag},
        json={"tier": "basic"},
    )
    assert response.status_code == 422
    assert "tier" in response.json["errors"]


def test_duplicate_code_is_409(client, create_user, make_service):
    make_service("M365-LIC", "optional")
    manager = create_user("catalogue_manager")
    response = client.post("/api/v1/services", headers=manager.headers, json=NEW_SERVICE)
    assert response.status_code == 409
    assert "code" in response.json["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_SERVICE, "availability_target": "0.995"}, "availability_target"),
        ({**NEW_SERVICE, "availability_target": 1.5}, "availability_target"),
        ({**NEW_SERVICE, "tier": "plus"}, "tier"),
        ({**NEW_SERVICE, "code": "bad code"}, "code"),
        ({**NEW_SERVICE, "service_hours": "always"}, "service_hours"),
        ({**NEW_SERVICE, "status": "retired"}, "status"),
    ],
)
def test_bad_service_is_422_naming_the_field(client, create_user, session, body, field):
    manager = create_user("catalogue_manager")
    response = client.post("/api/v1/services", headers=manager.headers, json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert _count(session, Service) == 0


# --- prices ---------------------------------------------------------------------------


def test_put_price_creates_then_replaces_a_year(client, create_user, make_service, this_year):
    make_service("SQL-LIC", "optional")
    manager = create_user("catalogue_manager")
    url = f"/api/v1/services/SQL-LIC/prices/{this_year + 1}"
    body = {"unit": "licence", "unit_price": "51000.00", "period": "year", "setup_fee": "500.00"}
    assert client.put(url, headers=manager.headers, json=body).status_code == 200
    again = client.put(url, headers=manager.headers, json={**body, "unit_price": "52000.00"})
    assert again.json["unit_price"] == "52000.00"
    prices = client.get("/api/v1/services/SQL-LIC/prices", headers=manager.headers).json["items"]
    assert [(p["year"], p["unit_price"]) for p in prices] == [
        (this_year, "49000.00"),
        (this_year + 1, "52000.00"),
    ]


def test_basic_price_defaults_to_the_default_key(
    client, create_user, make_key, make_service, this_year
):
    make_key("Lik fordeling", "1", "0", default=True)
    make_service("SD", "basic")
    manager = create_user("catalogue_manager")
    response = client.put(
        f"/api/v1/services/SD/prices/{this_year + 1}",
        headers=manager.headers,
        json={"annual_cost": "900000.00"},
    )
    assert response.json["allocation_key"] == "Lik fordeling"


@pytest.mark.parametrize(
    ("code", "body", "field"),
    [
        ("SQL-LIC", {"unit": "licence", "unit_price": 49000, "period": "year"}, "unit_price"),
        ("SQL-LIC", {"unit": "licence", "unit_price": "-1.00", "period": "year"}, "unit_price"),
        ("SQL-LIC", {"unit": "licence", "unit_price": "1.005", "period": "year"}, "unit_price"),
        ("SQL-LIC", {"unit": "licence", "unit_price": "10.00"}, "period"),
        ("SQL-LIC", {"unit": "licence", "unit_price": "1e30", "period": "year"}, "unit_price"),
        ("SQL-LIC", {"hourly_rate": "650.00"}, "hourly_rate"),
        ("SD", {"annual_cost": "100.00", "allocation_key": "Nope"}, "allocation_key"),
        ("SD", {"model": "unit", "annual_cost": "100.00"}, "model"),
        ("KONSULENT", {}, "hourly_rate"),
    ],
)
def test_bad_price_is_422_naming_the_field_and_writes_nothing(
    client, create_user, make_service, session, this_year, code, body, field
):
    for c, tier in (("SQL-LIC", "optional"), ("SD", "basic"), ("KONSULENT", "special")):
        make_service(c, tier)
    before = _count(session, ServicePrice)
    manager = create_user("catalogue_manager")
    response = client.put(
        f"/api/v1/services/{code}/prices/{this_year + 1}", headers=manager.headers, json=body
    )
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert _count(session, ServicePrice) == before


def test_price_for_unknown_service_is_404(client, create_user, this_year):
    manager = create_user("catalogue_manager")
    response = client.put(
        f"/api/v1/services/NOPE/prices/{this_year}",
        headers=manager.headers,
        json={"hourly_rate": "1.00"},
    )
    assert response.status_code == 404


def test_year_out_of_range_is_422(client, create_user, make_service):
    make_service("KONSULENT", "special")
    manager = create_user("catalogue_manager")
    response = client.put(
        "/api/v1/services/KONSULENT/prices/1999",
        headers=manager.headers,
        json={"hourly_rate": "1.00"},
    )
    assert response.status_code == 422
    assert "year" in response.json["errors"]


def test_requester_cannot_set_prices(client, create_user, make_service, this_year):
    make_service("KONSULENT", "special")
    requester = create_user("requester", "1505")
    response = client.put(
        f"/api/v1/services/KONSULENT/prices/{this_year}",
        headers=requester.headers,
        json={"hourly_rate": "1.00"},
    )
    assert response.status_code == 403
