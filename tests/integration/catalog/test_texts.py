"""Catalogue problem details follow the caller's language (issue 15, item 10)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db

HOST = "1505"


@pytest.fixture
def sql(make_service):
    return make_service("SQL-LIC", "optional", name="Lisens SQL database")


def _order(client, user, language, code="SQL-LIC", **extra):
    return client.post(
        "/api/v1/orders",
        headers={**user.headers, "Accept-Language": language},
        json={"service_code": code, "quantity": 1, **extra},
    )


def test_order_refusals_read_in_swedish_and_bokmal(client, create_user, make_service, sql):
    make_service("OLD-LIC", "optional", status="retired")
    requester = create_user("requester", HOST)
    swedish = _order(client, requester, "sv", code="OLD-LIC")
    assert swedish.status_code == 409
    assert swedish.json["title"] == "Konflikt"
    assert swedish.json["detail"] == "OLD-LIC är avvecklad och kan inte längre beställas."
    assert swedish.json["errors"] == {"service_code": ["Tjänsten har status retired."]}
    bokmal = _order(client, requester, "nb", code="OLD-LIC")
    assert bokmal.json["detail"] == "OLD-LIC er avviklet og kan ikke lenger bestilles."
    english = _order(client, requester, "en", code="OLD-LIC")
    assert english.json["detail"] == "OLD-LIC is retired and can no longer be ordered."


def test_order_validation_names_the_field_in_the_callers_language(client, create_user, sql):
    agent = create_user("agent")
    swedish = _order(client, agent, "sv", municipality="9999")
    assert swedish.status_code == 422
    assert swedish.json["errors"] == {"municipality": ["Okänd kommun 9999."]}
    assert swedish.json["detail"] == "municipality: Okänd kommun 9999."
    nynorsk = _order(client, agent, "nn")
    assert nynorsk.json["errors"] == {"municipality": ["IT-roller må oppgi kommunen."]}


def test_an_order_transition_refusal_is_translated_with_its_values(client, create_user, sql):
    requester = create_user("requester", HOST)
    orderer = create_user("orderer", HOST)
    order_id = _order(client, requester, "nb").json["id"]
    approve = f"/api/v1/orders/{order_id}/approve"
    assert client.post(approve, headers=orderer.headers).status_code == 200
    again = client.post(approve, headers={**orderer.headers, "Accept-Language": "sv"})
    assert again.status_code == 409
    assert again.json["detail"].startswith(f"Beställning {order_id} har status approved")
    assert again.json["detail"].endswith("Tillåtet från approved: cancelled, fulfilled.")
    assert again.json["allowed_transitions"] == ["cancelled", "fulfilled"]
    bokmal = client.post(approve, headers={**orderer.headers, "Accept-Language": "nb"})
    assert bokmal.json["detail"].startswith(f"Bestilling {order_id} har status approved")


def test_a_missing_service_reads_in_the_callers_language(client, create_user):
    admin = create_user("admin")
    response = client.get(
        "/api/v1/services/NOPE", headers={**admin.headers, "Accept-Language": "sv"}
    )
    assert response.status_code == 404
    assert (response.json["title"], response.json["detail"]) == (
        "Hittades inte",
        "Tjänsten NOPE hittades inte.",
    )


def test_closed_budget_year_refusals_read_in_swedish_and_bokmal(client, create_user, orkide_2024):
    manager, admin = create_user("catalogue_manager"), create_user("admin")
    close = "/api/v1/budget-years/2024/close"
    assert client.post(close, headers=manager.headers).status_code == 200
    again = client.post(close, headers={**manager.headers, "Accept-Language": "sv"})
    assert again.status_code == 409
    assert again.json["detail"] == "Budgetåret 2024 är redan stängt."
    assert again.json["errors"] == {"year": ["Stängt."]}
    edit = client.put(
        "/api/v1/municipalities/1554/populations/2024",
        headers={**admin.headers, "Accept-Language": "nb"},
        json={"population": 1},
    )
    assert edit.status_code == 409
    assert edit.json["detail"].startswith("Budsjettåret ")
    assert "er lukket" in edit.json["detail"]


def test_a_key_missing_a_share_is_refused_in_swedish(client, create_user, owned):
    admin = create_user("admin")
    response = client.post(
        "/api/v1/municipalities",
        headers={**admin.headers, "Accept-Language": "sv"},
        json={"number": "1560"},
    )
    assert response.status_code == 422
    assert response.json["errors"]["fixed_shares.1560"][0].startswith("Fördelningsnyckeln ")
    assert "ingen fast andel för kommun 1560" in response.json["detail"]
