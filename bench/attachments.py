"""Opening a ticket with 40 attachments, at scale, through `kommune-ikt serve`.

    .venv/bin/python bench/attachments.py [--db postgresql|sqlite|both] [--tickets 100000]
        [--samples 300] [--workers 2] [--size 200000] [--keep]

For each database: the world of bench/tickets.py (its seed and bulk load of
``--tickets`` tickets), plus attachment metadata bulk-loaded for one ticket in
ten (1 to 5 each, so the attachments table holds some 30 000 rows per 100 000
tickets and the ticket's own rows must be found by index), then one ticket
given 40 images of ``--size`` bytes through the API (``POST
/tickets/{id}/attachments``, as mail intake would for a mail with 40 inline
images; local store, no scanner). Then, one client, sequential, after a
warm-up, the agent's token:

- ``GET /tickets/{id}`` of that ticket (the get target: p95 < 25 ms; the
  attachments are not in it),
- ``GET /tickets/{id}/attachments`` of that ticket (the 40 rows: one query),
- ``GET /tickets/{id}`` of random tickets (the baseline),

and the uploads' own latency (40 POSTs of ``--size`` bytes).
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import col
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ceiling import free_port, scratch_database, serving  # noqa: E402
from tickets import latencies, load_postgresql, load_sqlite, seed  # noqa: E402

from kommune_ikt import migrate  # noqa: E402
from kommune_ikt.core.db import Database, create_db_engine  # noqa: E402
from servicedesk.models import RoutingRule  # noqa: E402

CLI = str(Path(sys.executable).parent / "kommune-ikt")
GET_TARGET_P95_MS = 25.0


def load_attachments(engine: sa.Engine, tickets: int, rng: random.Random) -> int:
    """Metadata rows (and their blob rows) for one ticket in ten; the bytes are not
    needed to list them. Returns how many attachments."""
    now = datetime.now(UTC)
    blobs, rows = [], []
    for ticket_id in range(1, tickets + 1, 10):
        for k in range(rng.randint(1, 5)):
            sha = f"{ticket_id:032x}{k:032x}"
            blobs.append({"sha256": sha, "size": 1000 + k, "data": None, "created_at": now})
            rows.append({
                "ticket_id": ticket_id, "comment_id": None, "filename": f"vedlegg{k}.pdf",
                "content_type": "application/pdf", "size": 1000 + k, "sha256": sha,
                "internal": False, "uploaded_by": None, "uploaded_at": now,
            })  # fmt: skip
    with engine.begin() as conn:
        for start in range(0, len(blobs), 5000):
            conn.execute(
                sa.text("INSERT INTO attachment_blobs (sha256, size, data, created_at) "
                        "VALUES (:sha256, :size, :data, :created_at)"),
                blobs[start : start + 5000],
            )  # fmt: skip
            conn.execute(
                sa.text(
                    "INSERT INTO attachments (ticket_id, comment_id, filename, content_type, "
                    "size, sha256, internal, uploaded_by, uploaded_at) VALUES (:ticket_id, "
                    ":comment_id, :filename, :content_type, :size, :sha256, :internal, "
                    ":uploaded_by, :uploaded_at)"
                ),
                rows[start : start + 5000],
            )
    return len(rows)


def upload(port: int, token: str, ticket_id: int, name: str, data: bytes) -> tuple[int, float]:
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), name, "image/png")})
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        t0 = time.perf_counter()
        conn.request("POST", f"/api/v1/tickets/{ticket_id}/attachments", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, (time.perf_counter() - t0) * 1000
    finally:
        conn.close()


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """Print the figures; return them too."""
    print(f"\n== {kind}: {args.tickets:,} tickets, one with 40 attachments ==", flush=True)
    rng = random.Random(17)
    with scratch_database(kind, args.keep, prefix="kikt_bench_attach") as url:
        t0 = time.perf_counter()
        migrate.upgrade(url)
        engine = create_db_engine(url)
        seeded = seed(engine)
        with Database(engine).session() as session:
            rules = list(
                session.scalars(sa.select(RoutingRule).order_by(col(RoutingRule.position)))
            )
            session.expunge_all()
        (load_postgresql if kind == "postgresql" else load_sqlite)(
            engine, args.tickets, seeded, rules
        )
        attachments = load_attachments(engine, args.tickets, rng)
        if kind == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE attachments")
                conn.exec_driver_sql("VACUUM ANALYZE attachment_blobs")
        with engine.connect() as conn:
            target = conn.execute(
                sa.text(
                    "SELECT max(id) FROM tickets WHERE status IN "
                    "('new', 'assigned', 'in_progress', 'pending') AND id % 10 <> 1"
                )
            ).scalar_one()
        engine.dispose()
        print(f"load: {time.perf_counter() - t0:.0f} s ({attachments:,} attachments)")

        # The ticket that gets 40 images: the newest open one with no loaded attachments.
        store = tempfile.mkdtemp(prefix="kikt-bench-attachments-")
        env = {**os.environ, "DATABASE_URL": url, "GUNICORN_ACCESSLOG": "",
               "WEB_CONCURRENCY": str(args.workers), "SECRET_KEY": "bench",
               "AUTH_FAILURES_PER_MINUTE": "1000000", "LOG_LEVEL": "WARNING",
               "GUNICORN_MAX_REQUESTS": "0", "ATTACHMENT_STORE": "local",
               "ATTACHMENT_DIR": store, "CLAMD_ADDRESS": ""}  # fmt: skip
        port = free_port()
        serve = [CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                 "--no-scheduler"]  # fmt: skip
        results: dict[str, Any] = {}
        with serving(serve, env, port):
            upload_ms, failed = [], 0
            for k in range(40):
                data = os.urandom(args.size)  # 40 distinct images: 40 blobs
                status, ms = upload(port, seeded.reader, target, f"image{k:03}.png", data)
                upload_ms.append(ms)
                failed += status != 201
            upload_ms.sort()
            results["upload"] = {
                "p50": statistics.median(upload_ms),
                "p95": upload_ms[int(len(upload_ms) * 0.95) - 1],
                "mean": statistics.fmean(upload_ms),
                "failures": failed,
            }
            paths = {
                "get_40": [f"/api/v1/tickets/{target}"] * args.samples,
                "list_40": [f"/api/v1/tickets/{target}/attachments?limit=50"] * args.samples,
                "get_random": [
                    f"/api/v1/tickets/{rng.randint(1, args.tickets)}" for _ in range(args.samples)
                ],
            }
            for name, batch in paths.items():
                results[name] = latencies(port, seeded.reader, batch)
        shutil.rmtree(store, ignore_errors=True)

    print(f"{'request':<44}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'errors':>8}")
    labels = {
        "upload": f"POST attachment ({args.size:,} bytes) x 40",
        "get_40": "GET ticket with 40 attachments",
        "list_40": "GET its attachments (40)",
        "get_random": "GET random ticket (baseline)",
    }
    for name, label in labels.items():
        r = results[name]
        print(f"{label:<44}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['mean']:>9.1f}{r['failures']:>8}")
    worst = max(results["get_40"]["p95"], results["list_40"]["p95"])
    verdict = "within" if worst < GET_TARGET_P95_MS else "OVER"
    print(f"get target p95 < {GET_TARGET_P95_MS:.0f} ms: {verdict} ({worst:.1f} ms)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    kinds = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    for kind in kinds:
        run(kind, args)


if __name__ == "__main__":
    main()
