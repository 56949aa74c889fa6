"""The servicedesk over a real `kommune-ikt serve` (gunicorn, two workers)."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.machine import free_port
from tests.support.served import Server

pytestmark = [pytest.mark.db, pytest.mark.e2e]

TICKET = {
    "title": "Skriveren på rådhuset har papirstopp",
    "description": "Skriveren i andre etasje stopper etter to sider.",
    "type": "incident",
    "impact": 2,
    "urgency": 1,
}
JOURNAL = {
    **TICKET,
    "title": "Får ikke åpnet pasientjournal i Gerica",
    "description": "Journalsystemet gir feilmelding for alle på kveldsvakt.",
}


@dataclass
class Desk:
    server: Any
    admin: str
    agent: str
    agent2: str
    requester: str
    requester2: str
    agent_id: int
    agent2_id: int

    def call(self, method, path, token, body=None, headers=None):
        return self.server.request(
            method, "/api/v1" + path, token=token, body=body, headers=headers
        )

    def patch(self, token, ticket_id, body, etag=None):
        if etag is None:
            etag = self.call("GET", f"/tickets/{ticket_id}", token).headers["ETag"]
        return self.call("PATCH", f"/tickets/{ticket_id}", token, body, {"If-Match": etag})


@pytest.fixture(scope="module")
def desk(backend, tmp_path_factory):
    """One running service per database for this module (starting one is the slow part):
    two members, two agents and a requester, made by the CLI. Each test uses its own words,
    keys and municipalities, so they do not see each other's tickets where it matters."""
    database_url = backend.new_database()
    workdir = tmp_path_factory.mktemp("servicedesk-e2e")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "e2e",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        "GUNICORN_ACCESSLOG": "",
    }
    server = Server(f"http://127.0.0.1:{port}", database_url, env, log_path=workdir / "serve.log")
    try:
        with ThreadPoolExecutor(4) as pool:
            started = pool.submit(server.start, 2)
            admin = pool.submit(server.add_user, "admin@orkide.example", "admin").result()
            started.result()
            for number in ("1505", "1554", "1563"):
                created = server.request(
                    "POST", "/api/v1/municipalities", admin, {"number": number}
                )
                assert created.status == 201, created.json
            users = [
                ("agnes@orkide.example", "agent", None),
                ("arne@orkide.example", "agent", None),
                ("kari@kristiansund.example", "requester", "1505"),
                ("anne@averoy.example", "requester", "1554"),
            ]
            agent, agent2, requester, requester2 = pool.map(lambda u: server.add_user(*u), users)
        ids = {
            u["email"]: u["id"] for u in server.request("GET", "/api/v1/users", admin).json["items"]
        }
        yield Desk(
            server,
            admin,
            agent,
            agent2,
            requester,
            requester2,
            ids["agnes@orkide.example"],
            ids["arne@orkide.example"],
        )
    finally:
        server.stop()
        backend.drop(database_url)


def _list_all(desk, token, query, limit):
    seen, cursor = [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = desk.call("GET", f"/tickets?limit={limit}&{query}{suffix}", token)
        assert page.status == 200, page.json
        seen += [t["id"] for t in page.json["items"]]
        cursor = page.json["next_cursor"]
        if not cursor:
            return seen


def test_ticket_is_routed_assigned_worked_and_closed(desk):
    queue = {
        "code": "HELSE",
        "name": "Helsesystemer",
        "sector": "helse",
        "auto_assign": True,
        "agents": [desk.agent_id, desk.agent2_id],
    }
    assert desk.call("POST", "/queues", desk.admin, queue).status == 201
    journal_rule = {
        "position": 10,
        "name": "Journal",
        "queue": "HELSE",
        "match": {"keywords": ["Gerica"]},
    }
    rule = desk.call("POST", "/routing-rules", desk.admin, journal_rule)
    assert rule.status == 201, rule.json
    # The second agent already has an open ticket, so the new one goes to the first.
    busy = {**JOURNAL, "municipality": "1563", "assignee": desk.agent2_id}
    assert desk.call("POST", "/tickets", desk.agent2, busy).json["assignee"] == desk.agent2_id

    created = desk.call("POST", "/tickets", desk.requester, JOURNAL)
    assert created.status == 201, created.json
    ticket = created.json
    assert (ticket["queue"], ticket["assignee"], ticket["status"]) == (
        "HELSE",
        desk.agent_id,
        "assigned",
    )
    assert ticket["number"].startswith("INC-") and ticket["priority"] == 2
    ticket_id = ticket["id"]

    internal = "Leverandøren har bekreftet feil i siste oppdatering."
    comments = f"/tickets/{ticket_id}/comments"
    for text, hidden in ((internal, True), ("Vi jobber med saken.", False)):
        posted = desk.call("POST", comments, desk.agent, {"body": text, "internal": hidden})
        assert posted.status == 201, posted.json
    for body in (
        {"status": "in_progress"},
        {"status": "pending"},
        {"status": "in_progress"},
        {"status": "resolved", "resolution": "Oppdatering rullet tilbake."},
    ):
        changed = desk.patch(desk.agent, ticket_id, body)
        assert changed.status == 200, changed.json
    reopened = desk.patch(desk.requester, ticket_id, {"status": "in_progress"})
    assert reopened.status == 200, reopened.json
    resolve = {"status": "resolved", "resolution": "Ny versjon installert."}
    assert desk.patch(desk.agent, ticket_id, resolve).status == 200
    closed = desk.patch(desk.agent, ticket_id, {"status": "closed"})
    assert closed.status == 200 and closed.json["status"] == "closed"

    mine = desk.call("GET", comments, desk.requester).json["items"]
    assert [c["body"] for c in mine] == ["Vi jobber med saken."]
    assert len(desk.call("GET", comments, desk.agent).json["items"]) == 2

    history = desk.call("GET", f"/tickets/{ticket_id}/history?limit=200", desk.requester)
    entries = history.json["items"]
    assert all(internal != h["new"] for h in entries)
    assert [h["new"] for h in entries if h["field"] == "status"] == [
        "new",
        "assigned",
        "in_progress",
        "pending",
        "in_progress",
        "resolved",
        "in_progress",
        "resolved",
        "closed",
    ]
    routing = next(h for h in entries if h["field"] == "routing")
    assert routing["new"]["rule"] == rule.json["id"]
    assert sum(h["field"] == "responded_at" for h in entries) == 1

    found = desk.call("GET", "/tickets?q=gerica", desk.requester).json["items"]
    assert [t["id"] for t in found] == [ticket_id]
    hidden_word = desk.call("GET", "/tickets?q=" + quote("leverandøren"), desk.requester)
    assert hidden_word.json["items"] == []


def test_stale_edit_is_412_and_retry_is_idempotent(desk):
    body = {**TICKET, "title": "Idempotenstest: skjermen blinker"}
    key = {"Idempotency-Key": "0b8f2d1e-first-try"}
    first = desk.call("POST", "/tickets", desk.requester, body, key)
    retry = desk.call("POST", "/tickets", desk.requester, body, key)
    assert first.status == retry.status == 201
    assert retry.json == first.json and retry.headers.get("Idempotent-Replayed") == "true"
    listed = desk.call("GET", "/tickets?q=idempotenstest", desk.agent).json["items"]
    assert [t["id"] for t in listed] == [first.json["id"]]
    other = desk.call("POST", "/tickets", desk.requester, {**body, "title": "Annet"}, key)
    assert other.status == 422

    ticket_id = first.json["id"]
    etag = first.headers["ETag"]
    assert desk.patch(desk.agent, ticket_id, {"impact": 1}, etag=etag).status == 200
    stale = desk.patch(desk.agent2, ticket_id, {"impact": 3}, etag=etag)
    assert stale.status == 412
    assert desk.call("GET", f"/tickets/{ticket_id}", desk.agent).json["impact"] == 1
    missing = desk.call("PATCH", f"/tickets/{ticket_id}", desk.agent, {"impact": 3})
    assert missing.status == 428


def test_pages_neither_repeat_nor_skip_while_tickets_are_created(desk):
    existing = []
    for i in range(24):
        made = desk.call("POST", "/tickets", desk.requester2, {**TICKET, "title": f"Sak {i}"})
        assert made.status == 201, made.json
        existing.append(made.json["id"])

    stop = threading.Event()
    inserted = []

    def insert():
        while not stop.is_set():
            made = desk.call("POST", "/tickets", desk.agent, {**TICKET, "municipality": "1554"})
            inserted.append(made.status)

    writer = threading.Thread(target=insert)
    writer.start()
    try:
        mine = _list_all(desk, desk.requester2, "municipality=1554", 5)
        everyone = _list_all(desk, desk.agent, "municipality=1554", 7)
    finally:
        stop.set()
        writer.join()
    # The requester sees exactly their tickets, newest first, each once.
    assert mine == existing[::-1]
    # The agent also sees what was inserted meanwhile, but never a ticket twice,
    # and every ticket that existed before paging began, in order.
    assert len(everyone) == len(set(everyone))
    assert [i for i in everyone if i in set(existing)] == existing[::-1]
    assert inserted and set(inserted) == {201}
