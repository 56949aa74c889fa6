"""Every benchmark under bench/ on SQLite and PostgreSQL, against ceilings measured in the same run.

    .venv/bin/python bench/run_all.py [--full] [--json bench/results/latest.json]
        [--only ceiling,service,tickets,cost_report,sla,metrics]

(or ``python3 dev.py bench [--full]`` from a fresh clone). Quick mode (the
default, a few minutes on 2 cores) runs the same workloads on smaller data;
``--full`` uses the sizes of the issues (a million tickets; an hour or so).
docs/performance.md explains each workload and holds the latest table.

1. ceiling: bench/ceiling.py's tiny WSGI app under gunicorn with
   ops/gunicorn.conf.py: ``GET /bare`` and ``POST /insert`` (one INSERT), on
   each database, driven by its load generator;
2. service: ``kommune-ikt serve`` (same workers, same generator, same
   clients) on a freshly migrated database: ``GET /healthz``,
   ``GET /api/v1/tickets/{id}`` and ``POST /api/v1/tickets``, each as a
   fraction of the ceiling that matches it;
3. tickets: bench/tickets.py (list/search/get latency over many tickets,
   create throughput) on each database;
4. cost_report: bench/cost_report.py (400 municipalities × 200 services);
5. sla: bench/sla.py's clock (no database) and escalation sweep (PostgreSQL);
6. metrics: bench/metrics_scrape.py's /metrics scrape, cold and warm (PostgreSQL).

Prints one table (figure, value, the ceiling it is compared with and the
ratio) and writes it as JSON with the sizes, the machine and its load.
Exits non-zero if a benchmark failed.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import sqlalchemy as sa  # noqa: E402
from ceiling import (  # noqa: E402
    ADMIN_URL,
    BODY,
    drive,
    free_port,
    gunicorn_env,
    measure,
    scratch_database,
    serving,
)

QUICK = {
    "ceiling_seconds": 5,
    "service_seconds": 5,
    "clients": 8,
    "workers": 5,
    "tickets": 20_000,
    "tickets_seconds": 8,
    "tickets_samples": 100,
    "cost_report_repeat": 3,
    "sla_clock_n": 50_000,
    "sla_tickets": 20_000,
    "sla_runs": 1,
    "metrics_tickets": 100_000,
    "metrics_runs": 5,
}
FULL = {
    "ceiling_seconds": 15,
    "service_seconds": 15,
    "clients": 8,
    "workers": 5,
    "tickets": 1_000_000,
    "tickets_seconds": 20,
    "tickets_samples": 300,
    "cost_report_repeat": 7,
    "sla_clock_n": 200_000,
    "sla_tickets": 100_000,
    "sla_runs": 3,
    "metrics_tickets": 1_000_000,
    "metrics_runs": 10,
}
STEPS = (
    "ceiling",
    "service",
    "tickets",
    "cost_report",
    "sla",
    "metrics",
    "attachments",
    "mail",
    "triage",
    "pages",
)
# This round's benchmarks run as their own scripts (they print their figures):
# quick sizes here, the issues' sizes with --full (the scripts' defaults).
SCRIPT_STEPS = {
    "attachments": ["--tickets", "5000", "--samples", "100"],
    "mail": ["--mails", "300"],
    "triage": ["--train-tickets", "10000", "--creations", "100"],
    "pages": ["--db", "both", "--tickets", "20000", "--samples", "30"],
}
DATABASES = ("sqlite", "postgresql")


@dataclass
class Row:
    workload: str
    database: str
    figure: str
    value: float
    unit: str
    ceiling: str = ""  # the ceiling row this is compared with, e.g. "postgresql one INSERT"
    ratio: float | None = None


class Results:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.errors: list[str] = []
        self.ceilings: dict[tuple[str, str], float] = {}  # (database, "bare"|"insert") -> rps

    def add(self, workload: str, database: str, figure: str, value: float, unit: str,
            against: str | None = None) -> None:  # fmt: skip
        row = Row(workload, database, figure, round(float(value), 2), unit)
        if against is not None and (database, against) in self.ceilings:
            ceiling = self.ceilings[(database, against)]
            row.ceiling = f"{database} {'bare GET' if against == 'bare' else 'one INSERT'}"
            row.ratio = round(value / ceiling, 3) if ceiling else None
        self.rows.append(row)


def load(name: str) -> ModuleType:
    """A bench script as a module of its own name (bench_<name>), apart from the packages."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def post_json(port: int, path: str, body: dict, headers: dict[str, str]) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        sent = {**headers, "Content-Type": "application/json"}
        conn.request("POST", path, json.dumps(body), sent)
        response = conn.getresponse()
        assert response.status == 201, response.read()[:500]
        return json.loads(response.read())
    finally:
        conn.close()


# --- the steps ----------------------------------------------------------------------------


def step_ceiling(results: Results, sizes: dict, tmp: Path) -> None:
    for kind in DATABASES:
        with scratch_database(kind) as url:
            figures = measure(
                url,
                clients=sizes["clients"],
                seconds=sizes["ceiling_seconds"],
                workers=sizes["workers"],
                tmp=tmp,
            )
        results.ceilings[(kind, "bare")] = figures["bare"]["rps"]
        results.ceilings[(kind, "insert")] = figures["insert"]["rps"]
        for name, label in (("bare", "bare GET"), ("insert", "one INSERT")):
            f = figures[name]
            results.add("ceiling", kind, f"{label}, throughput", f["rps"], "req/s")
            results.add("ceiling", kind, f"{label}, p50 latency", f["p50_ms"], "ms")


def step_service(results: Results, sizes: dict, tmp: Path) -> None:
    """The real service with the ceiling's generator: what the framework and the domain cost."""
    from kommune_ikt import migrate
    from kommune_ikt.core.auth import services as auth_services
    from kommune_ikt.core.auth.actor import SYSTEM
    from kommune_ikt.core.db import Database, create_db_engine, saved_id
    from service_catalog.municipalities import add_municipality

    cli = str(Path(sys.executable).parent / "kommune-ikt")
    for kind in DATABASES:
        with scratch_database(kind) as url:
            migrate.upgrade(url)
            engine = create_db_engine(url)
            with Database(engine).session() as session, session.begin():
                add_municipality(session, SYSTEM, {"number": "1505", "joined_on": date(2019, 1, 1)})
                tokens = []
                for k in range(sizes["clients"]):
                    user = auth_services.create_user(
                        session,
                        SYSTEM,
                        email=f"bench{k}@kristiansund.example",
                        role="requester",
                        municipality="1505",
                    )
                    tokens.append(auth_services.issue_token(session, SYSTEM, saved_id(user)).secret)
            engine.dispose()
            port = free_port()
            argv = [cli, "serve", "--bind", f"127.0.0.1:{port}", "--workers",
                    str(sizes["workers"]), "--no-scheduler"]  # fmt: skip

            def auth(k: int, tokens: list[str] = tokens) -> dict[str, str]:
                return {"Authorization": f"Bearer {tokens[k % len(tokens)]}"}

            seconds = sizes["service_seconds"]
            clients = sizes["clients"]
            with serving(argv, gunicorn_env(url, sizes["workers"], tmp), port, tmp / "serve.log"):
                drive(port, "GET", "/healthz", clients=clients, seconds=1)  # warm-up
                health = drive(port, "GET", "/healthz", clients=clients, seconds=seconds)
                # One ticket of the first requester, which every client then reads as that
                # requester (another requester would get a 404).
                first = post_json(port, "/api/v1/tickets", BODY, auth(0))["id"]
                create = drive(
                    port,
                    "POST",
                    "/api/v1/tickets",
                    clients=clients,
                    seconds=seconds,
                    body=BODY,
                    headers=auth,
                    ok=201,
                )
                read = drive(
                    port,
                    "GET",
                    f"/api/v1/tickets/{first}",
                    clients=clients,
                    seconds=seconds,
                    headers=lambda _k: auth(0),
                )
        for label, f, against in (
            ("GET /healthz", health, "bare"),
            ("GET /api/v1/tickets/{id}", read, "bare"),
            ("POST /api/v1/tickets", create, "insert"),
        ):
            results.add("service", kind, f"{label}, throughput", f["rps"], "req/s", against)
            results.add("service", kind, f"{label}, p50 latency", f["p50_ms"], "ms")
            if f["failures"]:
                results.errors.append(f"service {kind} {label}: {f['failures']} failed requests")


def step_tickets(results: Results, sizes: dict, _tmp: Path) -> None:
    tickets = load("tickets")
    for kind in DATABASES:
        args = argparse.Namespace(
            tickets=sizes["tickets"],
            clients=sizes["clients"],
            seconds=sizes["tickets_seconds"],
            samples=sizes["tickets_samples"],
            workers=sizes["workers"],
            rounds=3,
            keep=False,
        )
        figures = tickets.run(kind, args)
        n = f"{sizes['tickets']:,}"
        for name, label in (("list", "list 50 by status+queue"), ("search", "search one word"),
                            ("get", "get by id")):  # fmt: skip
            results.add("tickets", kind, f"{label} ({n} tickets), p50", figures[name]["p50"], "ms")
            results.add("tickets", kind, f"{label} ({n} tickets), p95", figures[name]["p95"], "ms")
        create = figures["create"]
        results.add(
            "tickets", kind, f"create ({n} tickets), throughput", create["rps"], "req/s", "insert"
        )
        results.add(
            "tickets",
            kind,
            "in-app one-INSERT endpoint (tickets.py's own)",
            figures["bare"]["rps"],
            "req/s",
            "insert",
        )
        results.add(
            "tickets",
            kind,
            "one INSERT through the API stack (tickets.py's own)",
            figures["stack"]["rps"],
            "req/s",
            "insert",
        )
        results.add(
            "tickets",
            kind,
            "the creation's write through the API stack (tickets.py's own)",
            figures["write"]["rps"],
            "req/s",
            "insert",
        )


def step_cost_report(results: Results, sizes: dict, _tmp: Path) -> None:
    figures = load("cost_report").bench(sizes["cost_report_repeat"])
    for kind in DATABASES:
        for label, f in figures[kind].items():
            if isinstance(f, dict):
                results.add("cost_report", kind, f"{label}, median", f["median_ms"], "ms")


def step_sla(results: Results, sizes: dict, _tmp: Path) -> None:
    sla = load("sla")
    clock = sla.bench_clock(sizes["sla_clock_n"])
    for label, value in clock.items():
        unit = "ms" if label.endswith("_ms") else "per s"
        results.add("sla", "-", label.removesuffix("_ms"), value, unit)
    sweep = sla.bench_sweep(sizes["sla_tickets"], 0.05, sizes["sla_runs"], False)
    n = f"{sizes['sla_tickets']:,}"
    results.add(
        "sla",
        "postgresql",
        f"sweep catch-up, 5 % due of {n}",
        sweep["first_sweep_median_s"] * 1000,
        "ms",
    )
    results.add(
        "sla",
        "postgresql",
        "sweep steady state after vacuum",
        sweep["steady_after_vacuum_s"] * 1000,
        "ms",
    )


def step_metrics(results: Results, sizes: dict, _tmp: Path) -> None:
    figures = load("metrics_scrape").bench(sizes["metrics_tickets"], sizes["metrics_runs"])
    n = f"{sizes['metrics_tickets']:,}"
    results.add(
        "metrics",
        "postgresql",
        f"cold scrape ({n} tickets), median",
        figures["cold_median_ms"],
        "ms",
    )
    results.add("metrics", "postgresql", "warm scrape, median", figures["warm_median_ms"], "ms")
    results.add("metrics", "postgresql", "series", figures["series"], "")


# --- the run ------------------------------------------------------------------------------


def script_step(name: str) -> Any:
    def step(results: Results, sizes: dict, _tmp: Path) -> None:
        extra = [] if sizes is FULL else SCRIPT_STEPS[name]
        command = [sys.executable, str(BENCH / f"{name}.py"), *extra]
        print("$", " ".join(command[1:]), flush=True)
        code = subprocess.call(command, cwd=BENCH.parent)
        if code:
            raise RuntimeError(f"bench/{name}.py exited with {code}")

    return step


def machine() -> dict[str, Any]:
    version = None
    try:
        engine = sa.create_engine(ADMIN_URL)
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar()
        engine.dispose()
    except sa.exc.SQLAlchemyError as exc:
        version = f"unreachable: {str(exc).splitlines()[0]}"
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "postgresql": version,
        "platform": platform.platform(),
    }


def table(rows: list[Row]) -> str:
    head = f"{'workload':<12}{'database':<11}{'figure':<52}{'value':>11}  {'unit':<6}{'ratio':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
        lines.append(
            f"{r.workload:<12}{r.database:<11}{r.figure[:51]:<52}{r.value:>11,.1f}  "
            f"{r.unit:<6}{ratio:>7}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="the issues' sizes (long)")
    parser.add_argument("--json", type=Path, default=BENCH / "results" / "latest.json")
    parser.add_argument("--only", default=",".join(STEPS), help="comma-separated steps")
    args = parser.parse_args()
    steps = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))} (known: {', '.join(STEPS)})")
    if "ceiling" not in steps and {"service", "tickets"} & set(steps):
        steps.insert(0, "ceiling")  # ratios need the ceilings of this run
    sizes = FULL if args.full else QUICK
    results = Results()
    load_before = os.getloadavg()
    started = time.perf_counter()
    print(
        f"{'full' if args.full else 'quick'} run of {', '.join(steps)}; {os.cpu_count()} cores, "
        f"load average {load_before[0]:.1f}",
        flush=True,
    )
    functions = {
        "ceiling": step_ceiling,
        "service": step_service,
        "tickets": step_tickets,
        "cost_report": step_cost_report,
        "sla": step_sla,
        "metrics": step_metrics,
        **{name: script_step(name) for name in SCRIPT_STEPS},
    }
    with tempfile.TemporaryDirectory(prefix="kikt-run-all-") as tmp:
        for step in steps:
            print(f"\n### {step}", flush=True)
            t0 = time.perf_counter()
            try:
                functions[step](results, sizes, Path(tmp))
            except Exception:  # one broken benchmark must not hide the others' figures
                traceback.print_exc()
                results.errors.append(f"{step}: {traceback.format_exc().splitlines()[-1]}")
            print(f"### {step}: {time.perf_counter() - t0:.0f} s", flush=True)
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()
    command = "python bench/run_all.py" + (" --full" if args.full else "")
    print(f"\n{table(results.rows)}")
    print(
        f"\n{command}: {elapsed / 60:.1f} min, load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after; ratio = figure ÷ the ceiling of the same database "
        "(bare GET or one INSERT) measured in this run"
    )
    for error in results.errors:
        print(f"FAILED: {error}")
    document = {
        "command": command,
        "mode": "full" if args.full else "quick",
        "sizes": sizes,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(elapsed),
        "machine": {
            **machine(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
        },
        "rows": [asdict(r) for r in results.rows],
        "errors": results.errors,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"written {args.json}")
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
