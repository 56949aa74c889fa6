"""SLA clock and escalation sweep speed.

    .venv/bin/python bench/sla.py [--clock-only] [--tickets 100000] [--due 0.05] [--keep]

1. The clock, on the built-in ``business`` calendar (Mon-Fri 08:00-15:30
   Europe/Oslo, Norwegian public holidays): due-time computations (add N
   business minutes to an instant) per second on one core, for random
   instants across 2026 and random targets of 1 minute to 10 working days,
   through the datetime API and through the microsecond core; the same for
   counting business seconds between two instants; the one-off cost of
   building a year's table; and full ticket SLA derivations per second.
2. The escalation sweep on PostgreSQL: a database of its own on the server of
   TEST_POSTGRES_URL (default postgres@127.0.0.1:5432), created, migrated,
   bulk-loaded with SQL and dropped (unless --keep): ``--tickets`` open
   tickets with SLA rows whose warning and breach instants are spread over
   five days so that a fraction ``--due`` of each is already due (a catch-up,
   as after the scheduler was down for hours), two in three assigned to 40
   agents, in 9 queues with agents of their own. Timed, each sweep one
   transaction with its commit: the first sweep (records every event that is
   due, with history rows and notifications), ``--runs`` times, each on a
   fresh copy of the loaded database; then steady-state sweeps a minute
   apart, right after the catch-up (its dead rows still in the indexes) and
   after VACUUM ANALYZE (as autovacuum leaves it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from kommune_ikt import migrate
from servicedesk.sla.calendars import BUSINESS_DOCUMENT, spec_of
from servicedesk.sla.clock import US_PER_MINUTE, BusinessClock, to_us
from servicedesk.sla.derive import Change, Target, derive
from servicedesk.sla.escalation import sweep

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
N = 200_000


def bench_clock(n: int = N) -> dict[str, float]:
    """Print the clock's figures; return them (per second; bench/run_all.py collects them)."""
    rng = random.Random(2026)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    instants = [start + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(n)]
    minutes = [rng.randrange(1, 10 * 450) for _ in range(n)]
    ends = [i + timedelta(seconds=rng.randrange(30 * 86400)) for i in instants]

    t0 = time.perf_counter()
    BusinessClock(spec_of(BUSINESS_DOCUMENT)).open_seconds_in_year(2026)
    figures = {"year_table_ms": (time.perf_counter() - t0) * 1000}
    print(f"year table build (2026, holidays included): {figures['year_table_ms']:.1f} ms")

    clock = BusinessClock(spec_of(BUSINESS_DOCUMENT))
    clock.add_minutes(start, 1)
    clock.add_minutes(datetime(2027, 12, 1, tzinfo=UTC), 1)  # tables for 2026-2027 built

    def rate(label: str, fn) -> None:
        best = 0.0
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            best = max(best, n / (time.perf_counter() - t0))
        print(f"{label}: {best:,.0f} per second (best of 3 × {n:,})")
        figures[label.strip()] = best

    rate(
        "due time, datetime API (add_minutes)",
        lambda: [clock.add_minutes(i, m) for i, m in zip(instants, minutes, strict=True)],
    )
    us = [to_us(i) for i in instants]
    amounts = [m * US_PER_MINUTE for m in minutes]
    rate(
        "due time, microsecond core (add_us)   ",
        lambda: [clock.add_us(i, a) for i, a in zip(us, amounts, strict=True)],
    )
    rate(
        "business seconds between two instants ",
        lambda: [clock.seconds_between(a, b) for a, b in zip(instants, ends, strict=True)],
    )

    policy = {
        1: Target(15, 120, "business"),
        2: Target(60, 240, "business"),
        3: Target(225, 900, "business"),
        4: Target(450, 2250, "business"),
    }
    clocks = {"business": clock}
    histories = []
    for i in instants[:20_000]:
        histories.append(
            [
                Change(i, "status", None, "new"),
                Change(i + timedelta(minutes=20), "status", "new", "in_progress"),
                Change(i + timedelta(hours=2), "status", "in_progress", "pending"),
                Change(i + timedelta(days=1), "status", "pending", "in_progress"),
                Change(i + timedelta(days=1, hours=1), "priority", 3, 2),
            ]
        )
    t0 = time.perf_counter()
    for i, changes in zip(instants, histories, strict=False):
        derive(
            created_at=i,
            status="in_progress",
            priority=2,
            changes=changes,
            responded_at=None,
            policy=policy,
            clocks=clocks,
            now=i + timedelta(days=3),
        )
    per_second = len(histories) / (time.perf_counter() - t0)
    print(f"ticket SLA derivations (5 history changes each): {per_second:,.0f} per second")
    figures["ticket SLA derivations"] = per_second
    return figures


def load(url: str, tickets: int, due: float) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:

        def run(statement: str) -> None:
            conn.execute(sa.text(statement))

        run(
            "INSERT INTO municipalities (number, name, country, county, population,"
            " population_year, joined_on, left_on, sla_policy_set, created_at, updated_at)"
            " VALUES ('1505', 'Kristiansund', 'NO', 'Møre og Romsdal', 24000, 2024,"
            " DATE '2019-01-01', NULL, 'default', now(), now())"
        )
        run(
            "INSERT INTO users (email, name, role, municipality_number, active, available,"
            " created_at)"
            " SELECT 'agent' || g || '@bench.example', 'Agent ' || g,"
            " CASE WHEN g = 0 THEN 'requester' ELSE 'agent' END,"
            " CASE WHEN g = 0 THEN '1505' END, true, true, now() FROM generate_series(0, 40) g"
        )
        run(
            "INSERT INTO queues (code, name, sector, auto_assign, is_default, created_at,"
            " updated_at)"
            " SELECT 'Q' || g, 'Queue ' || g, NULL, false, false, now(), now()"
            " FROM generate_series(1, 8) g"
        )
        run(
            "INSERT INTO queue_agents (queue_code, user_id)"
            " SELECT CASE WHEN q = 0 THEN 'SERVICEDESK' ELSE 'Q' || q END, u.id"
            " FROM generate_series(0, 8) q JOIN users u"
            " ON u.role = 'agent' AND (u.id % 9) = q AND u.id % 4 = 0"
        )
        run(
            "INSERT INTO tickets (number, type, title, description, municipality_number,"
            " requester_id, service_code, category, impact, urgency, priority, status, queue_code,"
            " assignee_id, resolution, responded_at, resolved_at, created_at, updated_at, version)"
            " SELECT 'INC-B-' || g, 'incident', 'Bench ticket ' || g, 'd', '1505',"
            " (SELECT min(id) FROM users WHERE role = 'requester'), NULL, NULL, 2, 2, 3,"
            " (ARRAY['new','assigned','in_progress'])[1 + g % 3],"
            " CASE WHEN g % 9 = 0 THEN 'SERVICEDESK' ELSE 'Q' || (g % 9) END,"
            " CASE WHEN g % 3 = 0 THEN NULL ELSE (SELECT min(id) FROM users) + 1 + g % 40 END,"
            " NULL, NULL, NULL, now() - (g % 7200) * interval '1 minute', now(), 1"
            f" FROM generate_series(1, {tickets}) g"
        )
        # Triggers uniformly over 5 days, shifted so that a fraction `due` is past.
        spread = f"(random() - {due}) * interval '5 days'"
        run(
            "INSERT INTO ticket_slas (ticket_id, policy_set, policy, priority, calendar,"
            " response_minutes, resolution_minutes, response_warn_at, response_breach_at,"
            " resolution_warn_at, resolution_breach_at, response_warned, response_breached,"
            " resolution_warned, resolution_breached, stale, computed_at)"
            " SELECT id, 'default', '{}', 3, 'business', 225, 900,"
            f" now() + {spread} - interval '56 minutes', now() + {spread},"
            f" now() + {spread} - interval '225 minutes', now() + {spread},"
            " false, false, false, false, false, now() FROM tickets"
        )
        run("ANALYZE")
    engine.dispose()


def bench_sweep(tickets: int, due: float, runs: int, keep: bool) -> dict[str, float]:
    """Print the sweep's figures; return them (seconds; bench/run_all.py collects them)."""
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = f"bench_sla_{uuid.uuid4().hex[:8]}"
    made: list[str] = []

    def create(name: str, template: str | None = None) -> str:
        with admin.connect() as conn:
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')
        made.append(name)
        return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    try:
        url = create(base)
        migrate.upgrade(url)
        t0 = time.perf_counter()
        load(url, tickets, due)
        print(f"loaded {tickets:,} open tickets with SLA rows in {time.perf_counter() - t0:.1f} s")
        now = datetime.now(UTC)
        first: list[float] = []
        for k in range(runs):
            # Every run on an identical copy, so each is a real first sweep with its commit.
            engine = sa.create_engine(create(f"{base}_{k}", template=base))
            elapsed, counts = _timed_sweep(engine, now)
            first.append(elapsed)
            if k < runs - 1:
                engine.dispose()
        mails = sum(v for key, v in counts.items() if key.endswith("_notifications"))
        print(
            f"first sweep over {tickets:,} open tickets: median {statistics.median(first):.3f} s,"
            f" best {min(first):.3f} s of {runs} (with commit); {_events(counts):,} events,"
            f" {mails:,} notifications"
        )
        steady = [_timed_sweep(engine, now + timedelta(minutes=k + 1)) for k in range(5)]
        figures = {
            "first_sweep_median_s": statistics.median(first),
            "events": _events(counts),
            "notifications": mails,
            "steady_after_catch_up_s": statistics.median(s[0] for s in steady),
        }
        print(
            "steady-state sweeps a minute apart, right after:"
            f" median {statistics.median(s[0] for s in steady):.3f} s"
            f" (events per sweep: {[_events(c) for _, c in steady]})"
        )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        later = now + timedelta(minutes=10)
        steady = [_timed_sweep(engine, later + timedelta(minutes=k)) for k in range(5)]
        figures["steady_after_vacuum_s"] = statistics.median(s[0] for s in steady)
        print(
            "steady-state sweeps after (auto)vacuum:"
            f" median {statistics.median(s[0] for s in steady):.3f} s"
            f" (events per sweep: {[_events(c) for _, c in steady]})"
        )
        engine.dispose()
    finally:
        if not keep:
            with admin.connect() as conn:
                for name in reversed(made):
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return figures


def _timed_sweep(engine: sa.Engine, at: datetime) -> tuple[float, dict]:
    with Session(engine) as session:
        t0 = time.perf_counter()
        counts = sweep(session, at)
        session.commit()
        return time.perf_counter() - t0, counts


def _events(counts: dict) -> int:
    return sum(v for k, v in counts.items() if k.endswith(("_warning", "_breach")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clock-only", action="store_true")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.05, help="Fraction of triggers already due.")
    parser.add_argument("--runs", type=int, default=3, help="First sweeps, each on a copy.")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    bench_clock()
    if not args.clock_only:
        bench_sweep(args.tickets, args.due, args.runs, args.keep)


if __name__ == "__main__":
    main()
