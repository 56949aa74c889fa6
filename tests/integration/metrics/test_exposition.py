"""GET /metrics: text exposition, request counters by route template, the token, the collector."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kommune_ikt.app import create_app

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parents[3]
PROMTOOL = ROOT / ".cache" / "prometheus" / "root" / "usr" / "bin" / "promtool"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, tuple(sorted(labels.items()))))


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return response.get_data(as_text=True)


def test_requests_are_counted_by_route_template_not_raw_path(client, create_user):
    user = create_user("agent")
    before = value(
        scrape(client),
        "kommune_ikt_http_requests_total",
        method="GET",
        route="/api/v1/municipalities/<string:number>",
        status="404",
    )
    client.get("/api/v1/municipalities/9999", headers=user.headers)
    text = scrape(client)
    after = value(
        text,
        "kommune_ikt_http_requests_total",
        method="GET",
        route="/api/v1/municipalities/<string:number>",
        status="404",
    )
    assert after == (before or 0) + 1
    assert "/api/v1/municipalities/9999" not in text


def test_unknown_paths_share_one_label(client):
    client.get("/no/such/path/123")
    text = scrape(client)
    assert (
        value(
            text, "kommune_ikt_http_requests_total", method="GET", route="unmatched", status="404"
        )
        >= 1
    )
    assert "/no/such/path" not in text


def test_latency_histogram_observes_each_request(client):
    client.get("/healthz")
    text = scrape(client)
    count = value(
        text, "kommune_ikt_http_request_duration_seconds_count", method="GET", route="/healthz"
    )
    assert count and count >= 1


def test_build_info_and_collector_up(client):
    text = scrape(client)
    assert any(name == "kommune_ikt_build_info" for name, _ in samples(text))
    assert value(text, "kommune_ikt_metrics_collector_up") == 1


def test_service_availability_and_target_are_exported(client, session, create_outage, app):
    now = datetime.now(UTC)
    create_outage("M365", now - timedelta(minutes=30), now - timedelta(minutes=20))
    app.extensions["kommune_ikt.metrics"].database_collector.invalidate()
    text = scrape(client)
    assert value(text, "kommune_ikt_service_availability_target_ratio", service="M365") == 0.995
    assert value(text, "kommune_ikt_service_up", service="M365") == 1
    assert value(text, "kommune_ikt_service_downtime_seconds_total", service="M365") == (
        pytest.approx(600, abs=1)
    )
    ratio = value(
        text, "kommune_ikt_service_availability_ratio", service="M365", period="current_month"
    )
    assert ratio < 1


def test_ongoing_unplanned_outage_marks_service_down(client, create_outage, app):
    now = datetime.now(UTC)
    create_outage("M365", now - timedelta(minutes=5))
    app.extensions["kommune_ikt.metrics"].database_collector.invalidate()
    assert value(scrape(client), "kommune_ikt_service_up", service="M365") == 0


def test_readings_are_cached_between_scrapes(client, create_outage, app, count_queries):
    scrape(client)
    with count_queries() as statements:
        scrape(client)
    assert statements == []


def test_scrape_query_count_does_not_grow_with_services(client, app, create_service, count_queries):
    collector = app.extensions["kommune_ikt.metrics"].database_collector
    create_service("A1")
    collector.invalidate()
    with count_queries() as few:
        scrape(client)
    for i in range(10):
        create_service(f"B{i}")
    collector.invalidate()
    with count_queries() as many:
        scrape(client)
    assert len(many) == len(few)


def test_metrics_token_is_required_when_configured(engine, database_url, connection):
    app = create_app(
        {"ENGINE": engine, "database_url": database_url, "secret_key": "t", "metrics_token": "s3"}
    )
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3"}).status_code == 200


def test_failing_database_reading_reports_collector_down(client, app, monkeypatch):
    collector = app.extensions["kommune_ikt.metrics"].database_collector

    def broken(*_args, **_kw):
        raise RuntimeError("boom")

    monkeypatch.setattr("metrics.collector.read_snapshot", broken)
    collector.invalidate()
    text = scrape(client)
    assert value(text, "kommune_ikt_metrics_collector_up") == 0
    collector.invalidate()


def test_scrape_passes_promtool_check_metrics(client, create_outage, create_user):
    if not PROMTOOL.exists() and IN_CI:
        subprocess.run(["bash", str(ROOT / "ops" / "get-promtool.sh")], check=False, timeout=600)
    promtool = str(PROMTOOL) if PROMTOOL.exists() else shutil.which("promtool")
    if promtool is None:
        if IN_CI:
            pytest.fail("promtool missing under CI: ops/get-promtool.sh failed")
        pytest.skip("promtool not fetched (ops/get-promtool.sh)")
    create_outage("M365", datetime.now(UTC) - timedelta(hours=1))
    client.get("/api/v1/municipalities", headers=create_user("agent").headers)
    text = scrape(client)
    done = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
