"""Fault injection: the machine's PostgreSQL cluster, process trees, a retrying load.

The fault tests break real things (they stop the PostgreSQL cluster, kill
processes, fill a filesystem), so each helper here puts back what it broke in
a ``finally`` and every loop is bounded in time.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.machine import IN_CI
from tests.support.served import Server

MEMBER = "1505"  # Kristiansund
TICKET = {
    "description": "Skriveren i andre etasje stopper etter to sider.",
    "type": "incident",
    "impact": 3,
    "urgency": 3,
}


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine; under CI the fault must be injected, so fail."""
    if IN_CI:
        pytest.fail(f"fault test cannot run under CI: {reason}")
    pytest.skip(reason)


# --- PostgreSQL ------------------------------------------------------------------------


@dataclass
class Cluster:
    """The machine's own PostgreSQL cluster, driven with pg_ctlcluster (as root)."""

    version: str
    name: str = "main"

    def _ctl(self, action: str, *extra: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action, *extra],
            check=True,
            capture_output=True,
            timeout=90,
        )

    def running(self) -> bool:
        done = subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "status"],
            capture_output=True,
            timeout=30,
            check=False,
        )
        return done.returncode == 0

    def stop(self) -> None:
        # fast: in-flight transactions are rolled back and their sessions ended.
        self._ctl("stop", "-m", "fast")

    def start(self) -> None:
        if not self.running():
            self._ctl("start")

    def wait_accepting(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = subprocess.run(
                ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-t", "2"],
                capture_output=True,
                check=False,
            )
            if done.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not accept connections again within the timeout")


OPT_IN = "KOMMUNE_IKT_FAULTS"


# --- processes -------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The direct children of a process (from /proc; no psutil needed)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: parse after the last ')'.
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return sorted(found)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def gunicorn_master(server: Server) -> int:
    assert server.process is not None
    masters = [p for p in children(server.process.pid) if "gunicorn" in cmdline(p)]
    assert len(masters) == 1, masters
    return masters[0]


# --- HTTP ------------------------------------------------------------------------------


@dataclass
class Answer:
    """A reply, or the transport error that stood in for one (status 0)."""

    status: int
    body: bytes = b""
    content_type: str = ""
    error: str = ""

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def call(
    base_url: str,
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 20,
) -> Answer:
    """One request on a new connection; a transport failure is an Answer with status 0."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    sent = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    if token:
        sent["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        return Answer(response.status, response.read(), response.getheader("Content-Type", ""))
    except (OSError, http.client.HTTPException) as exc:
        return Answer(0, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


def member_and_requesters(server: Server, count: int) -> list[str]:
    """Kristiansund as a member and ``count`` requesters of it; their tokens."""
    admin = server.add_user("admin@orkide.example", "admin")
    made = call(server.base_url, "POST", "/api/v1/municipalities", admin, {"number": MEMBER})
    assert made.status == 201, made.json
    return [
        server.add_user(f"bruker{k}@kristiansund.example", "requester", MEMBER)
        for k in range(count)
    ]


@dataclass
class Write:
    """One ticket a client meant to create, under one Idempotency-Key."""

    key: str
    title: str
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ticket_id: int | None = None  # set when acknowledged (201)


class TicketLoad:
    """Threads that create tickets and retry each with its Idempotency-Key until answered 201.

    Bounded: it stops creating new tickets at ``stop()``, and gives a pending
    write up after ``give_up`` seconds of retries.
    """

    def __init__(self, base_url: str, tokens: list[str], give_up: float = 60) -> None:
        self.base_url = base_url
        self.tokens = tokens
        self.give_up = give_up
        self.writes: list[Write] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(t,), daemon=True) for t in tokens
        ]

    def start(self) -> TicketLoad:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.give_up + 30)
        assert not any(t.is_alive() for t in self._threads), "load threads did not finish"

    @property
    def acknowledged(self) -> list[Write]:
        with self._lock:
            return [w for w in self.writes if w.ticket_id is not None]

    def statuses(self) -> set[int]:
        with self._lock:
            return {s for w in self.writes for s in w.statuses}

    def _client(self, token: str) -> None:
        while not self._stop.is_set():
            marker = uuid.uuid4().hex[:12]
            write = Write(key=f"fault-{marker}", title=f"Skriver virker ikke {marker}")
            with self._lock:
                self.writes.append(write)
            deadline = time.monotonic() + self.give_up
            while time.monotonic() < deadline:
                answer = call(
                    self.base_url,
                    "POST",
                    "/api/v1/tickets",
                    token,
                    {**TICKET, "title": write.title},
                    {"Idempotency-Key": write.key},
                )
                write.statuses.append(answer.status)
                if answer.error:
                    write.errors.append(answer.error)
                if answer.status == 201:
                    write.ticket_id = answer.json["id"]
                    break
                time.sleep(0.2)
