"""Ceilings on this machine: a bare gunicorn endpoint and the same endpoint doing one INSERT.

    .venv/bin/python bench/ceiling.py [--db sqlite|postgresql|both] [--seconds 10]
        [--clients 8] [--workers 5]

A tiny WSGI app (``app`` below; no Flask, no auth, no ORM) served by gunicorn
with ops/gunicorn.conf.py and the same worker count as the service, driven
by the HTTP load generator here (``drive``), which bench/run_all.py also
points at the real service. Two endpoints:

- ``GET /bare``: answers ``{"ok": true}``: what gunicorn, the sync workers
  and the loopback HTTP round trip cost, the ceiling for any endpoint;
- ``POST /insert``: parses the JSON body and INSERTs one row (one
  transaction, on a pooled connection made by ``create_db_engine``, so SQLite
  runs with the same pragmas and BEGIN IMMEDIATE as the service): the ceiling
  for an endpoint that creates something.

Each database is one of its own (PostgreSQL: created on the server of
TEST_POSTGRES_URL and dropped; SQLite: a temporary file).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TABLE = "ceiling_inserts"
BODY = {"title": "Skriveren på rådhuset har papirstopp", "description": "Andre etasje.",
        "type": "incident", "impact": 2, "urgency": 2}  # fmt: skip


# --- the WSGI app (imported by gunicorn as ceiling:app) -----------------------------------

_engine: Any = None


def _database() -> Any:
    global _engine
    if _engine is None:
        sys.path.insert(0, str(ROOT))
        from kommune_ikt.core.db import create_db_engine

        _engine = create_db_engine(os.environ["CEILING_DATABASE_URL"])
    return _engine


def app(environ: dict[str, Any], start_response: Callable) -> list[bytes]:
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
    if path == "/bare" and method == "GET":
        return _json(start_response, "200 OK", b'{"ok": true}')
    if path == "/insert" and method == "POST":
        import sqlalchemy as sa

        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(size))
        with _database().begin() as conn:
            new_id = conn.execute(
                sa.text(f"INSERT INTO {TABLE} (title, body) VALUES (:t, :b) RETURNING id"),
                {"t": body["title"], "b": json.dumps(body)},
            ).scalar_one()
        return _json(start_response, "201 Created", json.dumps({"id": new_id}).encode())
    if path == "/healthz":
        return _json(start_response, "200 OK", b'{"status": "ok"}')
    return _json(start_response, "404 Not Found", b'{"status": 404}')


def _json(start_response: Callable, status: str, body: bytes) -> list[bytes]:
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]


# --- the load generator -------------------------------------------------------------------


def request(port: int, method: str, path: str, body: bytes | None, headers: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def drive(
    port: int,
    method: str,
    path: str,
    *,
    clients: int,
    seconds: float,
    body: dict | None = None,
    headers: Callable[[int], dict[str, str]] | None = None,
    ok: int = 200,
) -> dict[str, float]:
    """``clients`` threads, closed loop, one connection per request, for ``seconds``.

    ``headers(k)`` gives client k's headers (its token). Returns requests per
    second, latency p50/p95 in ms and the count of answers other than ``ok``.
    """
    data = None if body is None else json.dumps(body).encode()
    times: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(k: int) -> None:
        sent = dict(headers(k) if headers else {})
        if data is not None:
            sent["Content-Type"] = "application/json"
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            t0 = time.perf_counter()
            try:
                status = request(port, method, path, data, sent)
            except OSError:
                status = 0
            times[k].append(time.perf_counter() - t0)
            failures[k] += status != ok

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    every = sorted(t for per in times for t in per)
    return {
        "rps": round(len(every) / elapsed, 1),
        "p50_ms": round(statistics.median(every) * 1000, 2) if every else 0.0,
        "p95_ms": round(every[int(len(every) * 0.95) - 1] * 1000, 2) if every else 0.0,
        "requests": len(every),
        "failures": sum(failures),
    }


# --- serving and databases ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(
    argv: list[str], env: dict[str, str], port: int, log: Path | None = None
) -> Iterator[int]:
    """Run a server in its own process group until the block ends; wait for /healthz.

    Yields the process id, which is also the group id (the bench scripts read
    the group's CPU from /proc). Output goes to ``log`` (appended) or nowhere.
    """
    with log.open("ab") if log is not None else open(os.devnull, "wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(port, "GET", "/healthz", None, {}) == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                said = log.read_text()[-2000:] if log is not None else "(no log)"
                raise RuntimeError(f"{argv[:4]} did not start: {said}")
            time.sleep(0.2)
        yield process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def gunicorn_env(url: str, workers: int, tmp: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "CEILING_DATABASE_URL": url,
            "WEB_CONCURRENCY": str(workers), "GUNICORN_ACCESSLOG": "", "SECRET_KEY": "bench",
            "LOG_LEVEL": "WARNING", "AUTH_FAILURES_PER_MINUTE": "1000000",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp / f"metrics-{uuid.uuid4().hex[:6]}")}  # fmt: skip


@contextmanager
def scratch_database(kind: str, keep: bool = False, prefix: str = "kikt_bench") -> Iterator[str]:
    """An empty database of its own (PostgreSQL: created on the server of
    TEST_POSTGRES_URL and dropped; SQLite: a file in a temporary directory);
    ``keep`` leaves it in place and says where."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    if kind == "postgresql":
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        try:
            yield url
        finally:
            if keep:
                print(f"kept {url}")
            else:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
        return
    directory = Path(tempfile.mkdtemp(prefix=f"{prefix.replace('_', '-')}-"))
    try:
        yield f"sqlite:///{directory / 'bench.sqlite3'}"
    finally:
        if keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def measure(
    url: str, *, clients: int, seconds: float, workers: int, tmp: Path
) -> dict[str, dict[str, float]]:
    """Both ceilings on one database (the table is created here)."""
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa

    from kommune_ikt.core.db import create_db_engine

    engine = create_db_engine(url)
    serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id {serial} PRIMARY KEY, title TEXT NOT NULL, "
            "body TEXT NOT NULL)"
        )
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "ops" / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{port}", "--pythonpath", str(ROOT / "bench"),
            "ceiling:app"]  # fmt: skip
    with serving(argv, gunicorn_env(url, workers, tmp), port, tmp / "ceiling.log"):
        drive(port, "GET", "/bare", clients=clients, seconds=1)  # warm-up
        bare = drive(port, "GET", "/bare", clients=clients, seconds=seconds)
        insert = drive(port, "POST", "/insert", clients=clients, seconds=seconds, body=BODY, ok=201)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT count(*) FROM {TABLE}")).scalar_one()
    engine.dispose()
    insert["rows_checked"] = rows
    return {"bare": bare, "insert": insert}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=5)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        with scratch_database(kind) as url, tempfile.TemporaryDirectory() as tmp:
            figures = measure(
                url, clients=args.clients, seconds=args.seconds, workers=args.workers,
                tmp=Path(tmp),
            )  # fmt: skip
        for name, f in figures.items():
            print(f"{kind:<11} {name:<7} {f['rps']:>8.0f} req/s  p50 {f['p50_ms']:.1f} ms  "
                  f"p95 {f['p95_ms']:.1f} ms  failures {f['failures']}")  # fmt: skip


if __name__ == "__main__":
    main()
