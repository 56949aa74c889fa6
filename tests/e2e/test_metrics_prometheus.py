"""A real Prometheus (Debian's package, on loopback) scrapes a real multi-worker Kommune-IKT.

Skipped when the prometheus binary was not fetched (ops/get-promtool.sh),
except under CI=true, where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from kommune_ikt.core.db import create_db_engine
from metrics.models import Outage
from service_catalog.models import Service
from tests.support.machine import free_port

pytestmark = [pytest.mark.db, pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]
CACHED = ROOT / ".cache" / "prometheus" / "root" / "usr" / "bin" / "prometheus"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def prometheus_binary() -> str:
    found = str(CACHED) if CACHED.exists() else shutil.which("prometheus")
    if found is None and IN_CI:
        # CI fetches it itself (apt-get download + dpkg-deb -x, no service started).
        subprocess.run(["bash", str(ROOT / "ops" / "get-promtool.sh")], check=False, timeout=600)
        found = str(CACHED) if CACHED.exists() else None
    if found is None:
        if IN_CI:
            pytest.fail("prometheus binary missing under CI: run ops/get-promtool.sh first")
        pytest.skip("prometheus binary not fetched; run ops/get-promtool.sh")
    return found


def seed(database_url: str) -> None:
    engine = create_db_engine(database_url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Service.__table__).values(
                code="E2E-MAIL",
                name="E-post",
                description="",
                tier="basic",
                category="",
                status="active",
                availability_target=str(Decimal("0.995")),
                service_hours="24x7",
                owner_team="",
                created_at=now,
                updated_at=now,
            )
        )
        conn.execute(
            sa.insert(Outage.__table__).values(
                service_code="E2E-MAIL",
                started_at=now - timedelta(hours=2),
                ended_at=now - timedelta(hours=1),
                planned=False,
                description="seeded",
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
    engine.dispose()


def query(base: str, promql: str) -> list[dict]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]["result"]


def wait_for(base: str, promql: str, predicate, timeout: float = 40.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    result: list[dict] = []
    while time.monotonic() < deadline:
        result = query(base, promql)
        if result and predicate(result):
            return result
        time.sleep(0.5)
    raise AssertionError(f"{promql} never matched; last result {result}")


@pytest.fixture
def prometheus(tmp_path):
    binary = prometheus_binary()

    def start(target: str) -> str:
        port = free_port()
        rules = ROOT / "ops" / "prometheus" / "rules"
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            f"rule_files:\n  - {rules}/*.rules.yml\n"
            "scrape_configs:\n  - job_name: kommune-ikt\n"
            f"    static_configs:\n      - targets: ['{target}']\n"
        )
        log = open(tmp_path / "prometheus.log", "wb")  # noqa: SIM115 - closed at teardown
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=log,
        )
        started.append((process, log))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return base
            except OSError:
                time.sleep(0.2)
        raise RuntimeError((tmp_path / "prometheus.log").read_text()[-3000:])

    started: list = []
    yield start
    for process, log in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_prometheus_sums_counters_across_workers_and_sees_availability(server_factory, prometheus):
    server = server_factory()
    seed(server.database_url)
    server.start(workers=3, extra=("--no-scheduler",))
    for _ in range(30):
        assert server.request("GET", "/readyz").status == 200
    base = prometheus(server.base_url.removeprefix("http://"))

    total = wait_for(
        base,
        'sum(kommune_ikt_http_requests_total{route="/readyz",status="200"})',
        lambda r: float(r[0]["value"][1]) >= 30,
    )
    assert float(total[0]["value"][1]) == 30
    availability = wait_for(
        base,
        'kommune_ikt_service_availability_ratio{service="E2E-MAIL",period="current_month"}',
        lambda r: True,
    )
    # Below 1 unless the month began less than an hour ago (the seeded outage was 2-1 h ago).
    assert 0 < float(availability[0]["value"][1]) <= 1
    downtime = wait_for(
        base, 'kommune_ikt_service_downtime_seconds_total{service="E2E-MAIL"}', lambda r: True
    )
    assert float(downtime[0]["value"][1]) == pytest.approx(3600, abs=1)
    objective = wait_for(base, 'slo:objective:ratio{sloth_service="E2E-MAIL"}', lambda r: True)
    assert float(objective[0]["value"][1]) == 0.995
    up = wait_for(base, 'up{job="kommune-ikt"}', lambda r: True)
    assert up[0]["value"][1] == "1"

    # Every Grafana panel's query is valid PromQL for this Prometheus.
    dashboard = json.loads((ROOT / "ops/grafana/dashboards/kommune-ikt.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            query(base, target["expr"].replace("$service", ".*"))
