"""A gunicorn worker killed with SIGKILL under load: only its requests fail, metrics still add up."""

from __future__ import annotations

import os
import re
import signal
import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.support.faults import call, children, gunicorn_master, member_and_requesters
from tests.support.machine import wait_for

pytestmark = [
    pytest.mark.db,
    pytest.mark.e2e,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]
CLIENTS = 4
ROUTE = "/api/v1/tickets/<int:ticket_id>"
COUNTER = re.compile(
    r'^kommune_ikt_http_requests_total\{method="GET",route="([^"]+)",status="(\d+)"\} (\S+)$'
)


def counted(exposition: str, route: str) -> Counter[int]:
    """The request counter by status for one route, summed over every worker's file."""
    totals: Counter[int] = Counter()
    for line in exposition.splitlines():
        match = COUNTER.match(line)
        if match and match.group(1) == route:
            totals[int(match.group(2))] += int(float(match.group(3)))
    return totals


def test_killed_worker_fails_only_its_own_requests_and_metrics_still_add_up(server_factory):
    server = server_factory()
    server.start(workers=2)
    token = member_and_requesters(server, 1)[0]
    created = call(
        server.base_url,
        "POST",
        "/api/v1/tickets",
        token,
        {"title": "Skjermen blinker", "description": "Skjermen blinker", "type": "incident",
         "impact": 3, "urgency": 3},
    )  # fmt: skip
    assert created.status == 201, created.json
    path = f"/api/v1/tickets/{created.json['id']}"
    master = gunicorn_master(server)
    workers = wait_for(lambda: len(children(master)) == 2 and children(master), 30, "2 workers")

    answers: list = []
    lock = threading.Lock()
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            answer = call(server.base_url, "GET", path, token)
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        # Both workers must have served (and counted) requests before one dies.
        metrics_dir = Path(server.env["PROMETHEUS_MULTIPROC_DIR"])
        wait_for(
            lambda: (
                all((metrics_dir / f"counter_{pid}.db").exists() for pid in workers)
                and len(answers) > 100
            ),
            30,
            "both workers to serve requests",
        )
        victim = workers[0]
        os.kill(victim, signal.SIGKILL)
        # gunicorn's master replaces it; the load goes on meanwhile.
        wait_for(
            lambda: victim not in children(master) and len(children(master)) == 2,
            30,
            "a replacement worker",
        )
        served = len(answers)
        wait_for(lambda: len(answers) > served + 100, 30, "requests after the replacement")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)

    failed = [a for a in answers if a.status != 200]
    # A gthread worker serves several requests at once: at most those in flight on it
    # fail (never more than there are clients), as broken connections, never as an
    # error status; the other worker's requests all succeed.
    assert len(failed) <= CLIENTS, [(a.status, a.error) for a in failed]
    assert all(a.status == 0 for a in failed)

    scrape = call(server.base_url, "GET", "/metrics")
    assert scrape.status == 200
    totals = counted(scrape.body.decode(), ROUTE)
    ok = sum(1 for a in answers if a.status == 200)
    assert set(totals) == {200}, totals
    # The dead worker's counts stay in the sum (its file is kept); the request it died
    # in may or may not have been counted.
    assert ok <= totals[200] <= ok + len(failed), (ok, totals)
    assert (metrics_dir / f"counter_{victim}.db").exists()
