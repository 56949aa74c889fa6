"""Metrics problem details follow the caller's language (issue 15, item 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.db
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def ops(create_user, create_municipality, create_service):
    create_municipality("1505")
    create_service("M365")
    return create_user("operations")


def post(client, user, language, **body):
    body.setdefault("service_code", "M365")
    body.setdefault("started_at", (NOW - timedelta(hours=2)).isoformat())
    headers = {**user.headers, "Accept-Language": language}
    return client.post("/api/v1/outages", json=body, headers=headers)


def test_outage_validation_reads_in_swedish_and_bokmal(client, ops):
    ended = (NOW - timedelta(hours=3)).isoformat()
    swedish = post(client, ops, "sv", ended_at=ended)
    assert swedish.status_code == 422
    assert swedish.json["title"] == "Valideringen misslyckades"
    assert swedish.json["errors"] == {"ended_at": ["Ett avbrott måste sluta efter att det börjar."]}
    bokmal = post(client, ops, "nb", service_code="NOPE")
    assert bokmal.status_code == 422
    assert bokmal.json["errors"] == {"service_code": ["Ukjent tjeneste NOPE."]}
    assert bokmal.json["detail"] == "service_code: Ukjent tjeneste NOPE."


def test_a_missing_outage_reads_in_nynorsk(client, ops):
    response = client.get(
        "/api/v1/outages/999999", headers={**ops.headers, "Accept-Language": "nn"}
    )
    assert (response.status_code, response.json["detail"]) == (404, "Avbrotet finst ikkje.")
