"""Probes: the API's validation, and a probe that sees a local server go down and come back."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from kommune_ikt.scheduler import all_jobs
from metrics.models import Outage, Probe
from metrics.probes import run_due_probes
from servicedesk.models import Ticket
from tests.support.metrics import LOCAL_NETWORKS

pytestmark = pytest.mark.db


class Flaky(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        body = b"ok" if self.status == 200 else b"down"
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@pytest.fixture
def site() -> Iterator[str]:
    httpd = Server(("127.0.0.1", 0), Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    Flaky.status = 200
    yield f"http://127.0.0.1:{httpd.server_address[1]}/health"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def ops(create_user, create_municipality, create_service):
    create_municipality("1505")
    create_service("M365")
    return create_user("operations")


def add_probe(client, user, **body):
    body.setdefault("service_code", "M365")
    return client.post("/api/v1/probes", json=body, headers=user.headers)


def test_non_http_url_is_422_on_url(client, ops):
    response = add_probe(client, ops, url="ftp://example.org/")
    assert response.status_code == 422
    assert "url" in response.json["errors"]


def test_interval_under_ten_seconds_is_422(client, ops):
    response = add_probe(client, ops, url="https://example.org/", interval_seconds=5)
    assert response.status_code == 422
    assert "interval_seconds" in response.json["errors"]


def test_timeout_must_be_shorter_than_interval(client, ops):
    response = add_probe(
        client, ops, url="https://example.org/", interval_seconds=10, timeout_seconds=10
    )
    assert response.status_code == 422
    assert "timeout_seconds" in response.json["errors"]


def test_requester_cannot_manage_probes(client, create_user, ops):
    requester = create_user("requester", "1505")
    assert add_probe(client, requester, url="https://example.org/").status_code == 403


def test_patch_and_delete_probe_need_if_match(client, ops):
    created = add_probe(client, ops, url="https://example.org/").json
    url = f"/api/v1/probes/{created['id']}"
    etag = client.get(url, headers=ops.headers).headers["ETag"]
    changed = client.patch(
        url, json={"interval_seconds": 30}, headers={**ops.headers, "If-Match": etag}
    )
    assert changed.status_code == 200 and changed.json["interval_seconds"] == 30
    etag = changed.headers["ETag"]
    assert client.delete(url, headers={**ops.headers, "If-Match": etag}).status_code == 204


def run(session, at):
    @contextlib.contextmanager
    def transaction():
        yield session
        session.commit()

    return run_due_probes(transaction, at, allow_networks=LOCAL_NETWORKS)


def test_probe_opens_outage_and_p1_then_ends_both_on_recovery(client, session, ops, site):
    created = add_probe(
        client,
        ops,
        url=site,
        interval_seconds=10,
        timeout_seconds=2,
        failure_threshold=2,
        recovery_threshold=2,
    ).json
    probe = session.get(Probe, created["id"])
    t = datetime.now(UTC)
    assert run(session, t)["failed"] == 0

    Flaky.status = 503
    assert run(session, t + timedelta(seconds=10))["opened"] == 0  # one failure: no outage yet
    assert run(session, t + timedelta(seconds=20))["opened"] == 1
    outage = session.scalar(sa.select(Outage).where(Outage.probe_id == probe.id))
    assert outage.ended_at is None and outage.planned is False
    assert outage.started_at == t + timedelta(seconds=10)  # dated from the first failure
    ticket = session.get(Ticket, outage.ticket_id)
    assert (ticket.priority, ticket.type, ticket.status) in {
        (1, "incident", "new"),
        (1, "incident", "assigned"),
    }

    Flaky.status = 200
    run(session, t + timedelta(seconds=30))
    session.refresh(outage)
    assert outage.ended_at is None  # one success is not yet a recovery (hysteresis)
    assert run(session, t + timedelta(seconds=40))["ended"] == 1
    session.refresh(outage)
    session.refresh(ticket)
    assert outage.ended_at == t + timedelta(seconds=30)
    assert ticket.status == "resolved"


def test_flapping_probe_never_opens_an_outage(client, session, ops, site):
    add_probe(client, ops, url=site, interval_seconds=10, timeout_seconds=2, failure_threshold=3)
    t = datetime.now(UTC)
    for i in range(8):
        Flaky.status = 503 if i % 2 else 200
        run(session, t + timedelta(seconds=10 * i))
    assert session.scalar(sa.select(sa.func.count()).select_from(Outage)) == 0


def test_probe_is_not_run_before_its_interval(client, session, ops, site):
    add_probe(client, ops, url=site, interval_seconds=60, timeout_seconds=2)
    t = datetime.now(UTC)
    assert run(session, t)["run"] == 1
    assert run(session, t + timedelta(seconds=30))["run"] == 0
    assert run(session, t + timedelta(seconds=60))["run"] == 1


def test_failing_probe_during_planned_maintenance_opens_nothing(
    client, session, ops, site, create_outage
):
    t = datetime.now(UTC)
    create_outage("M365", t - timedelta(minutes=5), None, planned=True)
    add_probe(client, ops, url=site, interval_seconds=10, timeout_seconds=2, failure_threshold=1)
    Flaky.status = 503
    assert run(session, t)["opened"] == 0


def test_probe_job_is_registered_with_the_scheduler():
    job = next(j for j in all_jobs() if j.id == "metrics.run_probes")
    assert job.seconds == 10
