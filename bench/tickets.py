"""Ticket throughput and latency through `kommune-ikt serve`, with a million tickets loaded.

    .venv/bin/python bench/tickets.py [--db postgresql|sqlite|both] [--tickets 1000000]
        [--clients 8] [--seconds 20] [--rounds 3] [--samples 300] [--workers 5] [--keep]

For each database: a database of its own (PostgreSQL: created on the server
of TEST_POSTGRES_URL, default postgres@127.0.0.1:5432, and dropped at the
end unless --keep; SQLite: a file in a temporary directory), migrated, seeded
with IKT Orkidé's nine members, 45 requesters, 10 agents, the demo's queues
and routing rules, then bulk-loaded (COPY on PostgreSQL, multi-row INSERT on
SQLite; never through the API) with ``--tickets`` tickets spread over
2019-01-01 … now: numbered per type and year, routed as the demo rules would
route them, statuses by age (old ones closed or cancelled, the last days
open), with their status history, SLA rows and search documents.

Then, through ``kommune-ikt serve --workers N --no-scheduler`` (gunicorn with
ops/gunicorn.conf.py):

1. latency, one client, sequential, after a warm-up: ``GET /tickets`` (a page
   of 50 filtered by status and queue, random pairs), ``GET /tickets?q=`` one
   common word ("skriveren", in about 1 ticket in 25, plus its inflections),
   ``GET /tickets/{id}`` (random ids): p50, p95, mean;
2. create throughput: ``--clients`` threads POSTing tickets (8 requesters of
   different municipalities, titles that the rules route to every queue,
   auto-assignment on) for ``--seconds`` in all: requests per second.

The ceiling: a bare Flask endpoint in the same app (``bare_app()`` below)
that parses the JSON body and does one INSERT, served by gunicorn with the
same config and worker count, under the same clients; the script prints
create ÷ bare (target ≥ 0.5 on PostgreSQL). Beside it, two floors that
split the gap: the same INSERT through the API's own stack
(``_add_stack_floor``), and the creation's own write through that stack with
rows planned once per caller and title (``_add_write_floor``).

Both servers run side by side and the four throughputs take turns in
``--rounds`` rounds of ``--seconds / --rounds`` each (create, bare, stack,
write, create, ...): this machine's speed drifts by 10-20 % over a minute, and
measured one after the other the ratio moved with whatever ran in a slow
spell. Each figure is its requests over its summed time; the per-round
ratios are printed too.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ceiling import free_port, scratch_database, serving  # noqa: E402

from kommune_ikt import migrate  # noqa: E402
from kommune_ikt.core.auth import services as auth_services  # noqa: E402
from kommune_ikt.core.auth.actor import SYSTEM  # noqa: E402
from kommune_ikt.core.db import Database, create_db_engine, saved_id  # noqa: E402
from service_catalog.municipalities import add_municipality  # noqa: E402
from servicedesk.demo import QUEUES, RULES, SAMPLES  # noqa: E402
from servicedesk.models import Queue, QueueAgent, RoutingRule  # noqa: E402
from servicedesk.priority import priority_for  # noqa: E402
from servicedesk.routing import Draft, first_match  # noqa: E402

OSLO = ZoneInfo("Europe/Oslo")
MEMBERS = ("1505", "1554", "1557", "1560", "1563", "1566", "1573", "1576", "5061")
PLACES = ("rådhuset", "sykehjemmet", "hjemmetjenesten", "barneskolen", "biblioteket")
COMMON_WORD = "skriveren"
CLI = str(Path(sys.executable).parent / "kommune-ikt")


# --- the bare ceiling: one INSERT per request ---------------------------------------------


def bare_app() -> Any:
    """The app with one extra route that does a single INSERT (gunicorn factory)."""
    from flask import jsonify, request

    from kommune_ikt.app import create_app
    from kommune_ikt.web.edge import database

    app = create_app()

    @app.post("/bench/insert")
    def insert() -> Any:
        """One INSERT, nothing else: the ceiling for a creating endpoint."""
        body = request.get_json()
        with database().engine.begin() as conn:
            new_id = conn.execute(
                sa.text(
                    "INSERT INTO bench_inserts (title, body, created_at) "
                    "VALUES (:title, :body, :at) RETURNING id"
                ),
                {"title": body["title"], "body": json.dumps(body), "at": datetime.now(UTC)},
            ).scalar_one()
        return jsonify(id=new_id), 201

    _add_stack_floor(app)
    _add_write_floor(app)
    return app


def _add_stack_floor(app: Any) -> None:
    """``POST /api/v1/bench/insert``: one INSERT through the API's own machinery.

    The same edge as every API call (authentication, request session committed
    in after_request, metrics), the ticket's create schema for the body and a
    flask-smorest response, but no domain work: what a creation would cost if
    its service did one INSERT. Printed beside the bare ceiling to show how much
    of the gap is the stack rather than the servicedesk.
    """
    import marshmallow as ma
    from flask_smorest import Blueprint

    from kommune_ikt.core.auth.actor import Role
    from kommune_ikt.web.edge import db_session, roles
    from servicedesk.api import TICKET_CREATE

    blp = Blueprint("bench", __name__)

    class Created(ma.Schema):
        id = ma.fields.Integer()
        title = ma.fields.String()

    @blp.route("/bench/insert", methods=["POST"])
    @roles(*Role)
    @blp.arguments(TICKET_CREATE)
    @blp.response(201, Created())
    def insert_through_the_stack(data: dict[str, Any]) -> Any:
        new_id = (
            db_session()
            .execute(
                sa.text(
                    "INSERT INTO bench_inserts (title, body, created_at) "
                    "VALUES (:title, :body, :at) RETURNING id"
                ),
                {"title": data["title"], "body": json.dumps(data), "at": datetime.now(UTC)},
            )
            .scalar_one()
        )
        return {"id": new_id, "title": data["title"]}

    app.extensions["kommune_ikt.api"].register_blueprint(blp, url_prefix="/api/v1")


def _add_write_floor(app: Any) -> None:
    """``POST /api/v1/bench/write``: the stack floor plus the creation's own write.

    The same edge, schema and small response as ``_add_stack_floor``, and then
    the creation's one statement (``filing.write.write``: agent pick, number, ticket,
    history, SLA row, e-mails) with the rows ``filing.plan.plan`` planned
    for the same caller, type and title earlier in this process: routing,
    priority, SLA, history and e-mails are not worked out again, and no ticket
    is rendered. Only title, description and instant are the request's own, so
    the write takes the same locks and writes the same rows as a creation.
    What a creation would cost if its Python were free: printed to show how
    much of the gap is the write itself.
    """
    import dataclasses

    import marshmallow as ma
    from flask_smorest import Blueprint

    from kommune_ikt.core.auth.actor import Role
    from kommune_ikt.core.types import utcnow
    from kommune_ikt.web.edge import current_actor, db_session, roles
    from servicedesk.api import TICKET_CREATE
    from servicedesk.choices import TicketType
    from servicedesk.filing import NewTicket
    from servicedesk.filing.plan import plan
    from servicedesk.filing.write import NewRows, write
    from servicedesk.snapshot import reference

    blp = Blueprint("bench_write", __name__)
    planned: dict[tuple[Any, ...], NewRows] = {}

    class Created(ma.Schema):
        id = ma.fields.Integer()
        number = ma.fields.String()

    @blp.route("/bench/write", methods=["POST"])
    @roles(*Role)
    @blp.arguments(TICKET_CREATE)
    @blp.response(201, Created())
    def write_through_the_stack(data: dict[str, Any]) -> Any:
        session, actor, now = db_session(), current_actor(), utcnow()
        kind = TicketType(data["type"])
        key = (actor.user_id, kind, data["title"], data["impact"], data["urgency"])
        plan_rows = planned.get(key)
        if plan_rows is None:
            assert actor.municipality is not None and actor.user_id is not None
            new = NewTicket(
                type=kind, title=data["title"], description=data["description"],
                municipality=actor.municipality, requester_id=actor.user_id,
                impact=data["impact"], urgency=data["urgency"],
            )  # fmt: skip
            plan_rows = planned[key] = plan(session, reference(session), actor, new, now=now)[0]
        rows = dataclasses.replace(
            plan_rows,
            ticket={**plan_rows.ticket, "description": data["description"], "created_at": now,
                    "updated_at": now},
            sla={**plan_rows.sla, "computed_at": now},
        )  # fmt: skip
        ticket_id, number, _, _ = write(session, kind, now, rows)
        return {"id": ticket_id, "number": number}

    app.extensions["kommune_ikt.api"].register_blueprint(blp, url_prefix="/api/v1")


# --- databases -----------------------------------------------------------------------------


@dataclass
class Seed:
    requesters: dict[str, list[int]]
    agents: list[int]
    tokens: list[str]  # one requester per municipality (8 used by the clients)
    reader: str  # an agent's token
    queue_agents: dict[str, list[int]] = field(default_factory=dict)
    default_queue: str = "SERVICEDESK"


def seed(engine: Engine, agents_count: int = 10) -> Seed:
    """The members, requesters, agents, queues and rules. ``agents_count`` agents: 10 for the
    API's figures (four per queue, three on the first line); more (the web bench's 200 for
    issue 19) are spread round-robin over the queues, a tenth of them on the first line."""
    db = Database(engine)
    with db.session() as session, session.begin():
        for number in MEMBERS:
            add_municipality(session, SYSTEM, {"number": number, "joined_on": date(2019, 1, 1)})
        requesters: dict[str, list[int]] = defaultdict(list)
        tokens = []
        for number in MEMBERS:
            for k in range(5):
                user = auth_services.create_user(
                    session, SYSTEM, email=f"bruker{k}.{number}@bench.example", role="requester",
                    municipality=number,
                )  # fmt: skip
                requesters[number].append(saved_id(user))
                if k == 0:
                    tokens.append(auth_services.issue_token(session, SYSTEM, saved_id(user)).secret)
        agents = [
            saved_id(
                auth_services.create_user(
                    session, SYSTEM, email=f"agent{k}@bench.example", role="agent"
                )
            )
            for k in range(agents_count)
        ]
        reader = auth_services.issue_token(session, SYSTEM, agents[0]).secret
        queue_agents: dict[str, list[int]] = {}
        for i, (code, name, sector, _auto, _members) in enumerate(QUEUES):
            session.add(Queue(code=code, name=name, sector=sector, auto_assign=True))
            session.flush()
            if agents_count <= 10:
                members = [agents[(i * 2 + j) % len(agents)] for j in range(4)]
            else:
                members = agents[i :: len(QUEUES)]
            session.add_all(QueueAgent(queue_code=code, user_id=a) for a in members)
            queue_agents[code] = members
        first_line = agents[:3] if agents_count <= 10 else agents[::10]
        queue_agents["SERVICEDESK"] = first_line
        session.add_all(QueueAgent(queue_code="SERVICEDESK", user_id=a) for a in first_line)
        for position, name, queue, match in RULES:
            if "service_code" not in match:
                session.add(
                    RoutingRule(position=position, name=name, queue_code=queue, match=match)
                )
    return Seed(dict(requesters), agents, tokens, reader, queue_agents)


# --- bulk load -----------------------------------------------------------------------------

TICKET_COLUMNS = (
    "id", "number", "type", "title", "description", "municipality_number", "requester_id",
    "category", "impact", "urgency", "priority", "status", "queue_code", "assignee_id",
    "resolution", "responded_at", "resolved_at", "created_at", "updated_at", "version",
)  # fmt: skip
HISTORY_COLUMNS = ("ticket_id", "at", "actor_id", "field", "old", "new", "internal")


def _queue_of_sample(rules: list[RoutingRule]) -> list[str]:
    """Where the demo rules send each sample title (routing is per template, so once each)."""
    out = []
    for title, extra, _service, impact, urgency, kind in SAMPLES:
        draft = Draft(kind, title, f"{title}. {extra}", "1505", priority_for(impact, urgency))
        rule = first_match(rules, draft)
        out.append(rule.queue_code if rule else "SERVICEDESK")
    return out


def generate(n: int, seed_: Seed, rules: list[RoutingRule], now: datetime) -> Iterator[tuple]:
    """``(ticket row, [history rows])`` for n tickets, oldest first, ids 1 … n."""
    rng = random.Random(1_000_000)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    step = (now - timedelta(hours=1) - start) / n
    counters: dict[tuple[str, int], int] = defaultdict(int)
    queues = _queue_of_sample(rules)
    for i in range(1, n + 1):
        created = start + step * i
        s = rng.randrange(len(SAMPLES))
        title, extra, _service, impact, urgency, kind = SAMPLES[s]
        year = created.astimezone(OSLO).year
        counters[(kind, year)] += 1
        prefix = "REQ" if kind == "service_request" else "INC"
        number = f"{prefix}-{year}-{counters[(kind, year)]:06d}"
        place = PLACES[i % len(PLACES)]
        municipality = "1505" if rng.random() < 0.3 else MEMBERS[rng.randrange(len(MEMBERS))]
        requester = rng.choice(seed_.requesters[municipality])
        queue = queues[s]
        age = now - created
        roll = rng.random()
        if age < timedelta(days=3):
            status = ("new", "assigned", "in_progress", "pending", "resolved")[int(roll * 5)]
        elif age < timedelta(days=20):
            status = "resolved" if roll < 0.5 else ("closed" if roll < 0.95 else "cancelled")
        else:
            status = "closed" if roll < 0.95 else "cancelled"
        assignee = None if status in ("new", "cancelled") else rng.choice(seed_.queue_agents[queue])
        history: list[tuple] = [(i, created, requester, "status", None, "new", False)]
        responded = resolved = None
        at = created
        if status == "cancelled":
            at = created + timedelta(hours=1)
            history.append((i, at, requester, "status", "new", "cancelled", False))
        elif status != "new":
            at = created + timedelta(minutes=10)
            history.append((i, at, None, "status", "new", "assigned", False))
            if status != "assigned":
                at = responded = created + timedelta(minutes=40)
                history.append((i, at, assignee, "status", "assigned", "in_progress", False))
                history.append((i, at, assignee, "responded_at", None, at.isoformat(), False))
            if status == "pending":
                at = created + timedelta(hours=2)
                history.append((i, at, assignee, "status", "in_progress", "pending", False))
            if status in ("resolved", "closed"):
                at = resolved = created + timedelta(hours=rng.uniform(1, 30))
                history.append((i, at, assignee, "status", "in_progress", "resolved", False))
                history.append((i, at, assignee, "resolved_at", None, at.isoformat(), False))
            if status == "closed":
                assert resolved is not None  # set just above: closed tickets were resolved
                at = resolved + timedelta(days=3)
                history.append((i, at, None, "status", "resolved", "closed", False))
        row = (
            i, number, kind, f"{title} ({place})", f"{title}. Gjelder {place}. {extra}",
            municipality, requester, None, impact, urgency, priority_for(impact, urgency),
            status, queue, assignee,
            "Løst." if resolved is not None else None, responded, resolved, created, at, 1,
        )  # fmt: skip
        yield row, history


def load_postgresql(engine: Engine, n: int, seed_: Seed, rules: list[RoutingRule]) -> None:
    now = datetime.now(UTC)
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None  # a checked-out connection has its driver's connection
        columns = ", ".join(TICKET_COLUMNS)
        with conn.cursor() as cur:
            cur.execute("CREATE UNLOGGED TABLE bench_stage (LIKE tickets INCLUDING DEFAULTS)")
            cur.execute("ALTER TABLE bench_stage DROP COLUMN search_document")
            with cur.copy(f"COPY bench_stage ({columns}) FROM STDIN") as copy:
                for row, _history in generate(n, seed_, rules, now):
                    copy.write_row(row)
            # The search document is computed by PostgreSQL, as index_ticket does.
            cur.execute(
                f"INSERT INTO tickets ({columns}, search_document) SELECT {columns}, "
                "setweight(to_tsvector('simple', replace(number, '-', ' ')), 'A') || "
                "setweight(to_tsvector('norwegian', title), 'A') || "
                "setweight(to_tsvector('norwegian', description), 'B') FROM bench_stage"
            )
            cur.execute("DROP TABLE bench_stage")
            # A second pass over the same (seeded) data writes the history, now that
            # the tickets it refers to exist, without holding millions of rows.
            history_columns = ", ".join(HISTORY_COLUMNS)
            with cur.copy(f"COPY ticket_history ({history_columns}) FROM STDIN") as copy:
                for _row, history in generate(n, seed_, rules, now):
                    for ticket_id, at, actor, field_, old, new, internal in history:
                        copy.write_row(
                            (ticket_id, at, actor, field_, _json(old), _json(new), internal)
                        )
            cur.execute("SELECT setval(pg_get_serial_sequence('tickets', 'id'), %s)", (n,))
            _counters(cur)
            _sla_rows(cur)
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
            # Write out what the load dirtied now, not while the requests are timed:
            # the checkpointer's work (and the full-page images after it) would be
            # counted against whichever endpoint runs first.
            cur.execute("CHECKPOINT")
    finally:
        raw.close()


def load_sqlite(engine: Engine, n: int, seed_: Seed, rules: list[RoutingRule]) -> None:
    now = datetime.now(UTC)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")
        tickets_sql = (
            f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(TICKET_COLUMNS))})"
        )
        history_sql = (
            f"INSERT INTO ticket_history ({', '.join(HISTORY_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(HISTORY_COLUMNS))})"
        )
        batch: list[tuple] = []
        histories: list[tuple] = []
        for row, history in generate(n, seed_, rules, now):
            batch.append(tuple(_sqlite_value(v) for v in row))
            histories.extend(
                (t, _sqlite_value(at), actor, f, _json(old), _json(new), internal)
                for t, at, actor, f, old, new, internal in history
            )
            if len(batch) >= 50_000:
                cur.executemany(tickets_sql, batch)
                cur.executemany(history_sql, histories)
                batch, histories = [], []
        cur.executemany(tickets_sql, batch)
        cur.executemany(history_sql, histories)
        cur.execute(
            "INSERT INTO ticket_fts (rowid, number, title, description, comments) "
            "SELECT id, number, title, description, '' FROM tickets"
        )
        _counters(cur)
        _sla_rows(cur)
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
        cur.close()
    finally:
        raw.close()


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _sqlite_value(value: Any) -> Any:
    # UTCDateTime stores naive UTC text on SQLite.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


def _counters(cur: Any) -> None:
    """Continue numbering after the loaded tickets."""
    cur.execute("DELETE FROM ticket_counters")
    cur.execute(
        "INSERT INTO ticket_counters (type, year, last) "
        "SELECT type, CAST(substr(number, 5, 4) AS INTEGER), "
        "MAX(CAST(substr(number, 10) AS INTEGER)) FROM tickets GROUP BY 1, 2"
    )


def _sla_rows(cur: Any) -> None:
    """Each ticket's SLA row with the default set's targets (as apply_sla would store)."""
    cur.execute(
        "SELECT priority, response_minutes, resolution_minutes, calendar FROM sla_policies "
        "WHERE set_name = 'default'"
    )
    policies = {str(p): {"response_minutes": r, "resolution_minutes": s, "calendar": c}
                for p, r, s, c in cur.fetchall()}  # fmt: skip
    snapshot = json.dumps(policies).replace("'", "''")
    cases = {
        key: " ".join(f"WHEN {p} THEN {value!r}" if key == "calendar" else
                      f"WHEN {p} THEN {value}" for p, value in
                      ((p, policies[p][key]) for p in policies))
        for key in ("response_minutes", "resolution_minutes", "calendar")
    }  # fmt: skip
    cur.execute(
        "INSERT INTO ticket_slas (ticket_id, policy_set, policy, priority, calendar, "
        "response_minutes, resolution_minutes, response_warned, response_breached, "
        "resolution_warned, resolution_breached, stale, computed_at) "
        f"SELECT id, 'default', '{snapshot}', priority, "
        f"CASE priority {cases['calendar']} END, "
        f"CASE priority {cases['response_minutes']} END, "
        f"CASE priority {cases['resolution_minutes']} END, "
        "false, false, false, false, false, created_at FROM tickets"
    )


# --- HTTP ----------------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, token: str | None = None, body: Any = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def cpu_seconds(group: int) -> dict[str, float]:
    """CPU seconds used so far by the server's process group, PostgreSQL and this process.

    Read from /proc (Linux): where a request's cost goes, printed next to the rates.
    """
    tick = os.sysconf("SC_CLK_TCK")
    used = {"server": 0.0, "server_sys": 0.0, "postgresql": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[2]) == group:
            used["server"] += seconds
            used["server_sys"] += int(fields[12]) / tick
        elif name.startswith("postgres"):
            used["postgresql"] += seconds
    mine = os.times()
    used["client"] = mine.user + mine.system
    return used


def latencies(port: int, token: str, paths: list[str]) -> dict[str, float]:
    for path in paths[:20]:
        request(port, "GET", path, token)
    times, failures = [], 0
    for path in paths:
        t0 = time.perf_counter()
        status, _ = request(port, "GET", path, token)
        times.append((time.perf_counter() - t0) * 1000)
        failures += status != 200
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "mean": statistics.fmean(times),
        "failures": failures,
    }


def throughput(
    port: int, path: str, tokens: list[str | None], seconds: float, group: int
) -> dict[str, Any]:
    """Closed-loop clients for ``seconds``: the rate, and CPU milliseconds per request."""
    done: list[int] = []
    failed: list[int] = []
    start = threading.Barrier(len(tokens) + 1)
    deadline = 0.0

    def client(k: int, token: str | None) -> None:
        rng = random.Random(k)
        start.wait()
        ok = bad = 0
        while time.perf_counter() < deadline:
            title, extra, _service, impact, urgency, kind = rng.choice(SAMPLES)
            body = {"title": title, "description": f"{title}. {extra}", "type": kind,
                    "impact": impact, "urgency": urgency}  # fmt: skip
            status, _ = request(port, "POST", path, token, body)
            if status == 201:
                ok += 1
            else:
                bad += 1
        done.append(ok)
        failed.append(bad)

    threads = [threading.Thread(target=client, args=(k, t)) for k, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    deadline = time.perf_counter() + seconds
    before = cpu_seconds(group)
    t0 = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    after = cpu_seconds(group)
    answered = max(sum(done) + sum(failed), 1)
    cpu_ms = {k: round((after[k] - before[k]) * 1000 / answered, 2) for k in before}
    return {"rps": sum(done) / elapsed, "created": sum(done), "failures": sum(failed),
            "cpu_ms": cpu_ms, "elapsed": elapsed}  # fmt: skip


# --- the run -------------------------------------------------------------------------------


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """Print the figures; return them too (bench/run_all.py collects them)."""
    print(f"\n== {kind}: {args.tickets:,} tickets ==", flush=True)
    with scratch_database(kind, args.keep, prefix="kikt_bench_tickets") as url:
        t0 = time.perf_counter()
        migrate.upgrade(url)
        engine = create_db_engine(url)
        seeded = seed(engine)
        with Database(engine).session() as session:
            rules = list(
                session.scalars(sa.select(RoutingRule).order_by(col(RoutingRule.position)))
            )
            session.expunge_all()
        t1 = time.perf_counter()
        (load_postgresql if kind == "postgresql" else load_sqlite)(
            engine, args.tickets, seeded, rules
        )
        print(f"bulk load: {time.perf_counter() - t1:.0f} s (migrate + seed {t1 - t0:.1f} s)")
        with engine.begin() as conn:
            auto = "SERIAL" if kind == "postgresql" else "INTEGER"
            conn.exec_driver_sql(
                f"CREATE TABLE bench_inserts (id {auto} PRIMARY KEY, title TEXT, body TEXT, "
                "created_at TIMESTAMP WITH TIME ZONE)"
            )
        engine.dispose()

        # Workers are not recycled during a run (GUNICORN_MAX_REQUESTS=0), so the
        # CPU read from /proc covers every request of it.
        env = {**os.environ, "DATABASE_URL": url, "GUNICORN_ACCESSLOG": "",
               "WEB_CONCURRENCY": str(args.workers), "SECRET_KEY": "bench",
               "AUTH_FAILURES_PER_MINUTE": "1000000", "LOG_LEVEL": "WARNING",
               "GUNICORN_MAX_REQUESTS": "0"}  # fmt: skip
        rng = random.Random(7)
        queues = [q[0] for q in QUEUES] + ["SERVICEDESK"]
        statuses = ["new", "assigned", "in_progress", "pending", "resolved", "closed"]
        list_paths = [
            f"/api/v1/tickets?status={rng.choice(statuses)}&queue={rng.choice(queues)}&limit=50"
            for _ in range(args.samples)
        ]
        search_paths = [f"/api/v1/tickets?q={COMMON_WORD}&limit=50"] * args.samples
        get_paths = [f"/api/v1/tickets/{rng.randint(1, args.tickets)}" for _ in range(args.samples)]
        port = free_port()
        serve = [CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                 "--no-scheduler"]  # fmt: skip
        bare_port = free_port()
        bare = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "ops" / "gunicorn.conf.py"),
                "--bind", f"127.0.0.1:{bare_port}", "--pythonpath", str(ROOT / "bench"),
                "tickets:bare_app()"]  # fmt: skip
        tokens: list[str | None] = list(seeded.tokens[: args.clients])
        while len(tokens) < args.clients:
            tokens.append(seeded.tokens[len(tokens) % len(seeded.tokens)])
        results: dict[str, Any] = {}
        # Both servers run throughout (the idle one uses no CPU); the three
        # throughputs take turns in --rounds rounds, so a slow spell of the
        # machine falls on all of them rather than on whichever ran then.
        with serving(serve, env, port) as group, serving(bare, env, bare_port) as bare_group:
            for name, paths in (("list", list_paths), ("search", search_paths),
                                ("get", get_paths)):  # fmt: skip
                results[name] = latencies(port, seeded.reader, paths)
            rounds: dict[str, list[dict[str, Any]]] = {
                "create": [], "bare": [], "stack": [], "write": []
            }  # fmt: skip
            share = args.seconds / args.rounds
            for _ in range(args.rounds):
                rounds["create"].append(throughput(port, "/api/v1/tickets", tokens, share, group))
                rounds["bare"].append(
                    throughput(bare_port, "/bench/insert", [None] * args.clients, share,
                               bare_group)
                )  # fmt: skip
                rounds["stack"].append(
                    throughput(bare_port, "/api/v1/bench/insert", tokens, share, bare_group)
                )
                rounds["write"].append(
                    throughput(bare_port, "/api/v1/bench/write", tokens, share, bare_group)
                )
        for name, measured in rounds.items():
            results[name] = combined(measured)
        results["round_ratios"] = [
            c["rps"] / b["rps"] for c, b in zip(rounds["create"], rounds["bare"], strict=True)
        ]

    print(f"{'request':<34}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'errors':>8}")
    labels = {
        "list": "list (50, status + queue)",
        "search": f"search (q={COMMON_WORD})",
        "get": "get by id",
    }
    for name, label in labels.items():
        r = results[name]
        print(f"{label:<34}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['mean']:>9.1f}{r['failures']:>8}")
    create, ceiling = results["create"], results["bare"]
    print(
        f"create: {create['rps']:.0f} req/s ({create['created']} tickets, "
        f"{create['failures']} failed) with {args.clients} clients, {args.workers} workers"
    )
    print(f"bare one-INSERT endpoint: {ceiling['rps']:.0f} req/s ({ceiling['failures']} failed)")
    stack = results["stack"]
    print(
        f"one INSERT through the API stack (token, schema, response): {stack['rps']:.0f} req/s "
        f"({stack['failures']} failed) = {stack['rps'] / ceiling['rps']:.2f} of bare"
    )
    write = results["write"]
    print(
        f"the creation's write through the API stack (rows planned once): {write['rps']:.0f} "
        f"req/s ({write['failures']} failed) = {write['rps'] / ceiling['rps']:.2f} of bare"
    )
    for name, r in (("create", create), ("bare", ceiling), ("stack", stack), ("write", write)):
        cpu = r["cpu_ms"]
        print(
            f"  CPU ms per request, {name}: gunicorn {cpu['server']:.2f} "
            f"(kernel {cpu['server_sys']:.2f}), "
            f"PostgreSQL {cpu['postgresql']:.2f}, load generator {cpu['client']:.2f}"
        )
    ratios = ", ".join(f"{r:.2f}" for r in results["round_ratios"])
    print(f"create / bare: {create['rps'] / ceiling['rps']:.2f} (rounds: {ratios})")
    return results


def combined(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One endpoint's rounds as one measurement: requests over the summed time and CPU."""
    answered = [r["created"] + r["failures"] for r in rounds]
    total = max(sum(answered), 1)
    weights = list(zip(rounds, answered, strict=True))
    return {
        "rps": sum(r["created"] for r in rounds) / sum(r["elapsed"] for r in rounds),
        "created": sum(r["created"] for r in rounds),
        "failures": sum(r["failures"] for r in rounds),
        "cpu_ms": {
            k: round(sum(r["cpu_ms"][k] * n for r, n in weights) / total, 2)
            for k in rounds[0]["cpu_ms"]
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument(
        "--rounds", type=int, default=3, help="turns the throughputs take, sharing --seconds"
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for kind in ("postgresql", "sqlite") if args.db == "both" else (args.db,):
        run(kind, args)


if __name__ == "__main__":
    main()
