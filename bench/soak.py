"""Soak test: mixed load of municipal staff and agents through `kommune-ikt serve` on PostgreSQL.

    .venv/bin/python bench/soak.py [--duration 300] [--max-requests 200000] [--clients 6]
        [--workers 4] [--json bench/results/soak-latest.json] [--keep]

Creates a PostgreSQL database of its own on the server of TEST_POSTGRES_URL
(default postgres@127.0.0.1:5432), migrates it, loads the demo collaboration
(IKT Orkidé: nine members, catalogue, queues, SLA, 300 tickets) and adds 3
requesters and 1 orderer per member and 6 agents. Then it runs
``kommune-ikt serve`` (gunicorn with ops/gunicorn.conf.py, the scheduler
beside it) on a free loopback port and drives it with ``--clients`` threads
for ``--duration`` seconds or ``--max-requests`` requests, whichever comes
first (loopback only; it stops by itself):

- requesters file tickets (with Idempotency-Key; one in six is sent again with
  the same key, one in twenty twice at the same moment), list and search
  their tickets, read and comment on them, cancel some, order services (with
  Idempotency-Key);
- orderers approve pending orders (each approval opens a fulfilment ticket),
  list their municipality's tickets and order for themselves;
- agents move tickets through their life cycle (PATCH with If-Match: 412 and
  409 are expected when two agents race), comment (public and internal),
  search, and fulfil approved orders.

A ticket or order that fails without an answer (or with 503) is retried with
its Idempotency-Key until acknowledged. At the end every acknowledged write is
checked against the database: each ticket, comment, order, approval,
fulfilment and status change that got a 2xx is there exactly once, nothing is
duplicated, and every status change an agent or requester made is in the
history exactly once. Printed (and written as JSON): throughput, latency
percentiles per operation, answers by status, and the check's findings. The
exit status is non-zero on any 5xx, transport error, unexpected 4xx, or lost
or duplicated write. The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ceiling import free_port, scratch_database, serving  # noqa: E402
from soak_report import check, report  # noqa: E402

from kommune_ikt import migrate  # noqa: E402
from kommune_ikt.core.auth import services as auth_services  # noqa: E402
from kommune_ikt.core.auth.actor import SYSTEM  # noqa: E402
from kommune_ikt.core.db import Database, create_db_engine, saved_id  # noqa: E402
from kommune_ikt.demo import load_demo  # noqa: E402
from servicedesk.demo import SAMPLES  # noqa: E402

CLI = str(Path(sys.executable).parent / "kommune-ikt")
MEMBERS = ("1505", "1554", "1557", "1560", "1563", "1566", "1573", "1576", "5061")
WORDS = ("skriver", "journal", "feide", "vpn", "nett", "itslearning", "profil", "lisens")
EXPECTED_4XX = {409, 412}  # races between agents and between orderers are part of the load
# What an agent moves a ticket on to (the requester's only move is a cancel).
NEXT = {
    "new": ["in_progress", "in_progress", "cancelled"],
    "assigned": ["in_progress"],
    "in_progress": ["pending", "resolved", "resolved"],
    "pending": ["in_progress", "resolved"],
    "resolved": ["closed", "closed", "in_progress"],
}


# --- the ledger: what the service acknowledged ---------------------------------------------


@dataclass
class Ledger:
    lock: threading.Lock = field(default_factory=threading.Lock)
    tickets: dict[str, int] = field(default_factory=dict)  # title marker -> id
    orders: dict[str, int] = field(default_factory=dict)  # note marker -> id
    comments: dict[str, tuple[int, int]] = field(default_factory=dict)  # marker -> (id, ticket)
    status_changes: list[tuple[int, str, str, int]] = field(default_factory=list)
    approved: set[int] = field(default_factory=set)
    fulfilled: set[int] = field(default_factory=set)
    # Writes whose outcome is unknown (no answer, not retryable): may or may not exist.
    unknown: list[tuple[str, str]] = field(default_factory=list)
    replays: int = 0
    replay_mismatches: list[str] = field(default_factory=list)
    own_tickets: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # Tickets auto-assigned at creation: their history holds new -> assigned by the creator.
    auto_assigned: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    transport_errors: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    requests: int = 0


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


class Client:
    """One thread's HTTP client: one connection per request (sync workers close them)."""

    def __init__(self, port: int, stats: Stats, budget: threading.Semaphore) -> None:
        self.port = port
        self.stats = stats
        self.budget = budget

    def call(
        self,
        op: str,
        method: str,
        path: str,
        token: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Reply | None:
        if not self.budget.acquire(blocking=False):
            raise Exhausted
        sent = {"Authorization": f"Bearer {token}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        started = time.perf_counter()
        try:
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            raw = response.read()
            reply = Reply(response.status, dict(response.getheaders()), None)
            if raw and "json" in response.getheader("Content-Type", ""):
                reply.body = json.loads(raw)
        except (OSError, http.client.HTTPException) as exc:
            with self.stats.lock:
                self.stats.requests += 1
                self.stats.transport_errors[f"{op}: {type(exc).__name__}"] += 1
            return None
        finally:
            conn.close()
        elapsed = time.perf_counter() - started
        with self.stats.lock:
            self.stats.requests += 1
            self.stats.latencies[op].append(elapsed)
            self.stats.statuses[op][reply.status] += 1
            if 400 <= reply.status < 500 and reply.status not in EXPECTED_4XX:
                detail = reply.body.get("detail") if isinstance(reply.body, dict) else reply.body
                self.stats.unexpected.append(f"{op} {method} {path}: {reply.status} {detail}")
        return reply


class Exhausted(Exception):
    """The request budget (--max-requests) is spent."""


# --- set-up -------------------------------------------------------------------------------


@dataclass
class People:
    requesters: list[tuple[str, int, str]]  # token, user id, municipality
    orderers: list[tuple[str, int, str]]
    agents: list[tuple[str, int]]
    service_code: str  # an optional service to order


def seed(url: str) -> People:
    migrate.upgrade(url)
    engine = create_db_engine(url)
    database = Database(engine)
    requesters, orderers, agents = [], [], []
    with database.session() as session, session.begin():
        load_demo(session)

        def user(email: str, role: str, municipality: str | None) -> tuple[str, int]:
            made = auth_services.create_user(
                session, SYSTEM, email=email, role=role, municipality=municipality
            )
            made_id = saved_id(made)
            return auth_services.issue_token(session, SYSTEM, made_id, "soak").secret, made_id

        for number in MEMBERS:
            for k in range(3):
                token, uid = user(f"soak{k}.{number}@soak.example", "requester", number)
                requesters.append((token, uid, number))
            token, uid = user(f"bestiller.{number}@soak.example", "orderer", number)
            orderers.append((token, uid, number))
        for k in range(6):
            agents.append(user(f"agent{k}@soak.example", "agent", None))
        code = session.execute(
            sa.text(
                "SELECT s.code FROM services s JOIN service_prices p ON p.service_code = s.code "
                "WHERE s.tier = 'optional' AND s.status = 'active' AND p.year = :year "
                "ORDER BY s.code LIMIT 1"
            ),
            {"year": date.today().year},
        ).scalar_one()
    engine.dispose()
    return People(requesters, orderers, agents, code)


@contextmanager
def running(url: str, workers: int, log: Path) -> Iterator[int]:
    """``kommune-ikt serve`` (with the scheduler beside it) on a free port; yields the port."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "soak", "GUNICORN_ACCESSLOG": "",
           "LOG_LEVEL": "WARNING", "AUTH_FAILURES_PER_MINUTE": "1000000",
           "PROMETHEUS_MULTIPROC_DIR": str(log.parent / "metrics")}  # fmt: skip
    argv = [CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    with serving(argv, env, port, log):
        yield port


# --- the load -----------------------------------------------------------------------------


class Actor:
    """One client thread acting as one kind of user (a random one of that kind per step)."""

    def __init__(self, client: Client, people: People, ledger: Ledger, seed_: int) -> None:
        self.http = client
        self.people = people
        self.ledger = ledger
        self.rng = random.Random(seed_)

    # --- writes that are retried with their Idempotency-Key ---

    def _idempotent(self, op: str, path: str, token: str, body: dict, key: str) -> Reply | None:
        """POST until acknowledged (2xx) or refused (4xx); transport errors and 503 retry."""
        for attempt in range(30):
            reply = self.http.call(op, "POST", path, token, body, {"Idempotency-Key": key})
            if reply is not None and reply.status < 500 and reply.status != 409:
                return reply
            if reply is not None and reply.status == 409 and "still running" not in str(reply.body):
                return reply
            time.sleep(min(0.05 * 2**attempt, 2))
        return None

    def create_ticket(self, token: str, uid: int) -> None:
        marker = uuid.uuid4().hex[:16]
        title, extra, _service, impact, urgency, kind = self.rng.choice(SAMPLES)
        body = {"title": f"Soak {marker} {title}", "description": f"{title}. {extra}",
                "type": kind, "impact": impact, "urgency": urgency}  # fmt: skip
        key = f"soak-ticket-{marker}"
        roll = self.rng.random()
        if roll < 0.05:
            # The same request twice at the same moment (a double click, a proxy retry).
            replies: list[Reply | None] = []
            twin = threading.Thread(
                target=lambda: replies.append(
                    self._idempotent("ticket create", "/api/v1/tickets", token, body, key)
                )
            )
            twin.start()
            first = self._idempotent("ticket create", "/api/v1/tickets", token, body, key)
            twin.join()
            replies.append(first)
        else:
            replies = [self._idempotent("ticket create", "/api/v1/tickets", token, body, key)]
            if roll < 0.2 and replies[0] is not None and replies[0].status == 201:
                replies.append(
                    self._idempotent("ticket create (replay)", "/api/v1/tickets", token, body, key)
                )
        acknowledged = [r for r in replies if r is not None and r.status == 201]
        with self.ledger.lock:
            if not acknowledged:
                self.ledger.unknown.append(("ticket", marker))
                return
            ids = {r.body["id"] for r in acknowledged}
            if len(ids) > 1:
                self.ledger.replay_mismatches.append(f"ticket {marker}: {sorted(ids)}")
            self.ledger.replays += len(acknowledged) - 1
            ticket = acknowledged[0].body
            self.ledger.tickets[marker] = ticket["id"]
            self.ledger.own_tickets[str(uid)].append(ticket["id"])
            if ticket["status"] == "assigned":
                self.ledger.auto_assigned.append((ticket["id"], uid))

    def place_order(self, token: str) -> None:
        marker = uuid.uuid4().hex[:16]
        body = {"service_code": self.people.service_code, "quantity": self.rng.randint(1, 5),
                "note": f"soak-{marker}"}  # fmt: skip
        key = f"soak-order-{marker}"
        replies = [self._idempotent("order create", "/api/v1/orders", token, body, key)]
        if self.rng.random() < 0.2 and replies[0] is not None and replies[0].status == 201:
            replies.append(
                self._idempotent("order create (replay)", "/api/v1/orders", token, body, key)
            )
        acknowledged = [r for r in replies if r is not None and r.status == 201]
        with self.ledger.lock:
            if not acknowledged:
                self.ledger.unknown.append(("order", marker))
                return
            if len({r.body["id"] for r in acknowledged}) > 1:
                self.ledger.replay_mismatches.append(f"order {marker}")
            self.ledger.replays += len(acknowledged) - 1
            self.ledger.orders[marker] = acknowledged[0].body["id"]

    # --- the rest ---

    def comment(self, token: str, ticket_id: int, internal: bool) -> None:
        marker = uuid.uuid4().hex[:16]
        body = {"body": f"soak-{marker} Har sett på saken.", "internal": internal}
        reply = self.http.call(
            "comment", "POST", f"/api/v1/tickets/{ticket_id}/comments", token, body
        )
        with self.ledger.lock:
            if reply is None:
                self.ledger.unknown.append(("comment", marker))
            elif reply.status == 201:
                self.ledger.comments[marker] = (reply.body["id"], ticket_id)

    def change_status(self, token: str, uid: int, ticket_id: int, wanted: str | None) -> None:
        read = self.http.call("ticket get", "GET", f"/api/v1/tickets/{ticket_id}", token)
        if read is None or read.status != 200:
            return
        old = read.body["status"]
        target = wanted or self.rng.choice(NEXT.get(old, ["in_progress"]))
        body: dict[str, Any] = {"status": target}
        if target == "resolved":
            body["resolution"] = "Løst i soak-testen."
        reply = self.http.call(
            "ticket status", "PATCH", f"/api/v1/tickets/{ticket_id}", token, body,
            {"If-Match": read.headers.get("ETag", "")},
        )  # fmt: skip
        with self.ledger.lock:
            if reply is None:
                self.ledger.unknown.append(("status", f"{ticket_id}:{old}->{target}"))
            elif reply.status == 200 and reply.body["status"] != old:
                self.ledger.status_changes.append((ticket_id, old, reply.body["status"], uid))

    def some_ticket(self, uid: int | None = None) -> int | None:
        with self.ledger.lock:
            pool = (
                self.ledger.own_tickets.get(str(uid)) if uid else list(self.ledger.tickets.values())
            )
            if not pool:
                return None
            # Mostly recent tickets, where the work is.
            return pool[-1 - int(self.rng.random() ** 3 * min(len(pool), 400))]

    def requester(self) -> None:
        token, uid, _number = self.rng.choice(self.people.requesters)
        roll = self.rng.random()
        if roll < 0.30:
            self.create_ticket(token, uid)
        elif roll < 0.52:
            self.http.call("ticket list", "GET", "/api/v1/tickets?limit=20", token)
        elif roll < 0.64:
            word = self.rng.choice(WORDS)
            self.http.call("ticket search", "GET", f"/api/v1/tickets?q={word}&limit=20", token)
        elif roll < 0.74:
            ticket = self.some_ticket(uid)
            if ticket:
                self.http.call("ticket get", "GET", f"/api/v1/tickets/{ticket}", token)
        elif roll < 0.86:
            ticket = self.some_ticket(uid)
            if ticket:
                self.comment(token, ticket, internal=False)
        elif roll < 0.89:
            ticket = self.some_ticket(uid)
            if ticket:
                self.change_status(token, uid, ticket, "cancelled")
        else:
            self.place_order(token)

    def orderer(self) -> None:
        token, _uid, number = self.rng.choice(self.people.orderers)
        roll = self.rng.random()
        if roll < 0.45:
            pending = self.http.call(
                "order list", "GET", "/api/v1/orders?status=pending_approval&limit=5", token
            )
            if pending is not None and pending.status == 200 and pending.body["items"]:
                order = self.rng.choice(pending.body["items"])["id"]
                reply = self.http.call(
                    "order approve", "POST", f"/api/v1/orders/{order}/approve", token
                )
                if reply is not None and reply.status == 200:
                    with self.ledger.lock:
                        self.ledger.approved.add(order)
        elif roll < 0.75:
            self.http.call(
                "ticket list", "GET", f"/api/v1/tickets?municipality={number}&limit=20", token
            )
        elif roll < 0.85:
            self.place_order(token)
        else:
            word = self.rng.choice(WORDS)
            self.http.call("ticket search", "GET", f"/api/v1/tickets?q={word}&limit=20", token)

    def agent(self) -> None:
        token, uid = self.rng.choice(self.people.agents)
        roll = self.rng.random()
        if roll < 0.40:
            status = self.rng.choice(["new", "assigned", "in_progress", "pending", "resolved"])
            page = self.http.call(
                "ticket list", "GET", f"/api/v1/tickets?status={status}&limit=50", token
            )
            if page is not None and page.status == 200 and page.body["items"]:
                ticket = self.rng.choice(page.body["items"])["id"]
                self.change_status(token, uid, ticket, None)
        elif roll < 0.60:
            ticket = self.some_ticket()
            if ticket:
                self.comment(token, ticket, internal=self.rng.random() < 0.5)
        elif roll < 0.75:
            word = self.rng.choice(WORDS)
            self.http.call("ticket search", "GET", f"/api/v1/tickets?q={word}&limit=50", token)
        elif roll < 0.90:
            self.http.call("ticket list", "GET", "/api/v1/tickets?limit=50", token)
        else:
            approved = self.http.call(
                "order list", "GET", "/api/v1/orders?status=approved&limit=5", token
            )
            if approved is not None and approved.status == 200 and approved.body["items"]:
                order = self.rng.choice(approved.body["items"])["id"]
                reply = self.http.call(
                    "order fulfil", "POST", f"/api/v1/orders/{order}/fulfil", token,
                    {"start_on": date.today().isoformat()},
                )  # fmt: skip
                if reply is not None and reply.status == 200:
                    with self.ledger.lock:
                        self.ledger.fulfilled.add(order)


def run_load(port: int, people: People, args: argparse.Namespace) -> tuple[Ledger, Stats, float]:
    ledger, stats = Ledger(), Stats()
    budget = threading.Semaphore(args.max_requests)
    deadline = time.monotonic() + args.duration
    # Half requesters, the rest agents and one orderer in six.
    roles = ["requester", "agent", "requester", "orderer", "requester", "agent"]

    def worker(k: int) -> None:
        actor = Actor(Client(port, stats, budget), people, ledger, 1000 + k)
        step = getattr(actor, roles[k % len(roles)])
        try:
            while time.monotonic() < deadline:
                step()
        except Exhausted:
            pass

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    progress_at = time.monotonic() + 30
    while any(t.is_alive() for t in threads):
        for thread in threads:
            thread.join(1)
        if time.monotonic() > progress_at:
            progress_at += 30
            elapsed = time.perf_counter() - started
            print(f"  {elapsed:5.0f} s: {stats.requests} requests, "
                  f"{len(ledger.tickets)} tickets", flush=True)  # fmt: skip
    return ledger, stats, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=200_000, help="upper bound")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/soak-latest.json")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    args.load_before = round(os.getloadavg()[0], 2)
    print(f"{os.cpu_count()} cores, load average {args.load_before}")
    with (
        scratch_database("postgresql", args.keep, prefix="kikt_soak") as url,
        tempfile.TemporaryDirectory(prefix="kikt-soak-") as tmp,
    ):
        t0 = time.perf_counter()
        people = seed(url)
        print(f"seeded in {time.perf_counter() - t0:.1f} s; load for {args.duration:.0f} s "
              f"or {args.max_requests} requests", flush=True)  # fmt: skip
        log = Path(tmp) / "serve.log"
        with running(url, args.workers, log) as port:
            ledger, stats, elapsed = run_load(port, people, args)
        findings = check(url, ledger, people)
        result = report(stats, ledger, findings, elapsed, args)
        tracebacks = log.read_text(errors="replace").count("Traceback")
        result["server_log_tracebacks"] = tracebacks
        if tracebacks:
            print(f"server log: {tracebacks} tracebacks; last lines:\n{log.read_text()[-2000:]}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"written {args.json}")
    failed = (
        result["server_errors_5xx"]
        or result["transport_errors"]
        or result["unexpected_4xx"]
        or result["lost_or_duplicated"]
        or result["replay_mismatches"]
        or tracebacks
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
