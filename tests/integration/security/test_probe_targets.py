"""Probes are not an SSRF tool (issue 15, item 15): non-public targets are refused.

At creation (and on a URL change) an address written in the URL, or a
``localhost`` name, is judged at once: 422 naming ``url``. Names are resolved
and judged at every run. ``PROBE_ALLOW_NETWORKS`` lets an operator allow a
network; this app (the suite's default) allows none.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from metrics.models import Probe
from metrics.probes import run_due_probes
from service_catalog.models import Service

pytestmark = pytest.mark.db

REFUSED = [
    "http://127.0.0.1:8080/health",
    "http://localhost/health",
    "http://app.localhost/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://10.1.2.3/",
    "http://172.20.0.1/",
    "http://192.168.0.10/",
    "http://[fd12:3456::1]/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://224.0.0.251/",
    "http://255.255.255.255/",
]


@pytest.fixture
def ops(create_user, session):
    session.add(Service(code="SEC-WEB", name="Web", tier="basic", status="active"))
    session.commit()
    return create_user("operations")


@pytest.mark.parametrize("url", REFUSED)
def test_a_non_public_target_is_422_naming_url(client, ops, url):
    response = client.post(
        "/api/v1/probes", headers=ops.headers, json={"service_code": "SEC-WEB", "url": url}
    )
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == ["url"]


def test_changing_a_probe_to_a_metadata_address_is_422(client, ops):
    created = client.post(
        "/api/v1/probes",
        headers=ops.headers,
        json={"service_code": "SEC-WEB", "url": "https://www.example.org/"},
    )
    assert created.status_code == 201
    url = f"/api/v1/probes/{created.json['id']}"
    etag = client.get(url, headers=ops.headers).headers["ETag"]
    response = client.patch(
        url,
        headers={**ops.headers, "If-Match": etag},
        json={"url": "http://169.254.169.254/"},
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["url"]


@pytest.mark.parametrize("url", ["https://www.example.org/", "http://93.184.216.34/"])
def test_a_public_target_is_accepted(client, ops, url):
    response = client.post(
        "/api/v1/probes", headers=ops.headers, json={"service_code": "SEC-WEB", "url": url}
    )
    assert response.status_code == 201, response.json


class Counting(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        Counting.hits += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_at_probe_time_a_name_resolving_to_loopback_is_refused_unreached(session, ops):
    # Stored before validation existed (or a name whose DNS answer changed later).
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    Counting.hits = 0
    try:
        port = httpd.server_address[1]
        probe = Probe(service_code="SEC-WEB", url=f"http://localhost:{port}/", timeout_seconds=2)
        session.add(probe)
        session.commit()

        @contextlib.contextmanager
        def transaction():
            yield session
            session.commit()

        summary = run_due_probes(transaction, datetime.now(UTC))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert summary["failed"] == 1
    assert Counting.hits == 0
    stored = session.get(Probe, probe.id)
    assert stored.last_ok is False and "not public" in stored.last_error
