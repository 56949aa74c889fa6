"""No transaction stays open while a probe waits on the network (issue 15, item 13).

A probe's target that answers slowly used to hold the probe job's transaction
(on SQLite the database's write lock) for the whole wait: every API request
then waited out the busy timeout and got a 503, and on PostgreSQL a change to
the probe waited for the check. Real commits, in a database of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kommune_ikt.app import create_app
from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM
from kommune_ikt.core.scheduler.jobs import JobContext
from metrics.jobs import run_probes
from metrics.models import Probe
from service_catalog.models import Service
from service_catalog.municipalities import add_municipality
from tests.support.metrics import LOCAL_NETWORKS

pytestmark = pytest.mark.db
SLOW_SECONDS = 3.0


class Slow(BaseHTTPRequestHandler):
    arrived = threading.Event()

    def do_GET(self) -> None:
        Slow.arrived.set()
        time.sleep(SLOW_SECONDS)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@pytest.fixture
def slow_site() -> Iterator[str]:
    httpd = Server(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    Slow.arrived = threading.Event()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/health"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def world(fresh_database):
    # A short busy timeout: a request that waits for the lock fails fast (503).
    app = create_app(
        {
            "database_url": fresh_database,
            "secret_key": "test",
            "sqlite_busy_timeout": 1.0,
            "probe_allow_networks": LOCAL_NETWORKS,
            "auth_failures_per_minute": 10_000,
        }
    )
    database = app.extensions["kommune_ikt.db"]
    with database.session() as session, session.begin():
        add_municipality(session, SYSTEM, {"number": "1505", "joined_on": date(2019, 1, 1)})
        session.add(Service(code="M365", name="M365", tier="basic", status="active"))
        user = auth_services.create_user(
            session, SYSTEM, email="ops@test.example", role="operations"
        )
        token = auth_services.issue_token(session, SYSTEM, user.id, "test").secret
    yield app, {"Authorization": f"Bearer {token}"}
    database.engine.dispose()


def test_api_writes_proceed_while_a_probe_waits_on_a_slow_target(world, slow_site):
    app, headers = world
    client = app.test_client()
    created = client.post(
        "/api/v1/probes",
        headers=headers,
        json={
            "service_code": "M365",
            "url": slow_site,
            "interval_seconds": 60,
            "timeout_seconds": 5,
        },
    )
    assert created.status_code == 201, created.json
    probe_url = f"/api/v1/probes/{created.json['id']}"
    context = JobContext(app.extensions["kommune_ikt.db"], app.config["SETTINGS"], "test")
    job = threading.Thread(target=run_probes, args=(context,))
    job.start()
    try:
        assert Slow.arrived.wait(5), "the probe never reached its target"
        started = time.monotonic()
        # Writes of every kind: the probe being checked itself, and something else.
        etag = client.get(probe_url, headers=headers).headers["ETag"]
        patched = client.patch(
            probe_url, headers={**headers, "If-Match": etag}, json={"name": "renamed"}
        )
        outage = client.post(
            "/api/v1/outages",
            headers=headers,
            json={
                "service_code": "M365",
                "planned": True,
                "started_at": "2026-01-01T00:00:00Z",
                "ended_at": "2026-01-01T01:00:00Z",
                "description": "Planned work",
            },
        )
        elapsed = time.monotonic() - started
    finally:
        job.join(SLOW_SECONDS + 5)
    assert patched.status_code == 200, patched.json
    assert outage.status_code == 201, outage.json
    assert elapsed < SLOW_SECONDS / 2, f"the writes waited {elapsed:.1f} s for the probe"
    # The result was still recorded, in a transaction of its own, after the wait.
    with app.extensions["kommune_ikt.db"].session() as session:
        probe = session.get(Probe, created.json["id"])
        assert probe.runs_total == 1 and probe.last_ok is True and probe.name == "renamed"
