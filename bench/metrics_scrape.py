# ruff: noqa: E501 - long SQL string pieces read better unbroken
"""Scrape time of /metrics on PostgreSQL at collaboration scale, cold and warm cache.

    .venv/bin/python bench/metrics_scrape.py [--tickets 1000000] [--keep]

Creates a database of its own (dropped at the end unless --keep) on the
PostgreSQL of TEST_POSTGRES_URL (default postgres@127.0.0.1:5432), migrates
it, bulk-loads 200 services, 400 municipalities, the tickets (with SLA rows)
and 10 000 outages with SQL, then times the scrape with an empty cache
(every database reading) and with a warm one (readings reused).
Municipality numbers here are synthetic 4-digit codes: the official list has
fewer than 400 entries.
"""

from __future__ import annotations

import argparse
import statistics
import time

import sqlalchemy as sa
from ceiling import scratch_database

from kommune_ikt import migrate
from kommune_ikt.app import create_app

SERVICES, MUNICIPALITIES, OUTAGES_PER_SERVICE, QUEUES = 200, 400, 50, 10


def load(url: str, tickets: int) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:

        def run(statement: str) -> None:
            conn.execute(sa.text(statement))

        run(
            "INSERT INTO municipalities (number, name, country, county, population, population_year,"
            " joined_on, left_on, sla_policy_set, created_at, updated_at)"
            " SELECT lpad((5000 + g)::text, 4, '0'), 'Bench ' || g, 'NO', NULL, 1000 + g, 2024,"
            " DATE '2019-01-01', NULL, 'default', now(), now()"
            f" FROM generate_series(1, {MUNICIPALITIES}) g"
        )
        run(
            "INSERT INTO users (email, name, role, municipality_number, active, available, created_at)"
            " VALUES ('bench@example.org', 'Bench', 'requester', '5001', true, true, now())"
        )
        run(
            "INSERT INTO queues (code, name, sector, auto_assign, is_default, created_at, updated_at)"
            " SELECT 'Q' || g, 'Queue ' || g, NULL, false, false, now(), now()"
            f" FROM generate_series(1, {QUEUES - 1}) g"
        )
        run(
            "INSERT INTO services (code, name, description, tier, category, status,"
            " availability_target, service_hours, owner_team, created_at, updated_at)"
            " SELECT 'SVC-' || g, 'Service ' || g, '', 'basic', '', 'active',"
            " CASE WHEN g % 3 = 0 THEN '0.98' ELSE '0.995' END,"
            " CASE WHEN g % 3 = 0 THEN 'business' ELSE '24x7' END, '', now(), now()"
            f" FROM generate_series(1, {SERVICES}) g"
        )
        # Tickets spread over three years; about 4 % still open.
        run(
            "INSERT INTO tickets (number, type, title, description, municipality_number,"
            " requester_id, service_code, category, impact, urgency, priority, status, queue_code,"
            " assignee_id, resolution, responded_at, resolved_at, created_at, updated_at, version)"
            " SELECT 'INC-B-' || g, 'incident', 'Bench ticket', 'd',"
            f" lpad((5001 + g % {MUNICIPALITIES})::text, 4, '0'),"
            " (SELECT min(id) FROM users), 'SVC-' || (1 + g % 200), NULL, 1 + g % 3, 1 + (g / 3) % 3,"
            " 1 + g % 4,"
            " CASE WHEN g % 25 = 0 THEN (ARRAY['new','assigned','in_progress','pending'])[1 + g % 4]"
            " ELSE 'closed' END,"
            f" CASE WHEN g % {QUEUES} = 0 THEN 'SERVICEDESK' ELSE 'Q' || (g % {QUEUES}) END,"
            " NULL, NULL, c + interval '30 minutes',"
            " CASE WHEN g % 25 = 0 THEN NULL ELSE c + interval '5 hours' END, c, c, 1"
            f" FROM (SELECT g, now() - (g * interval '94 seconds') AS c"
            f" FROM generate_series(1, {tickets}) g) s"
        )
        run(
            "INSERT INTO ticket_slas (ticket_id, policy_set, policy, priority, calendar,"
            " response_minutes, resolution_minutes, response_warned, response_breached,"
            " resolution_warned, resolution_breached, stale, computed_at)"
            " SELECT id, 'default', '{}', priority, 'business', 60, 480, false, id % 17 = 0,"
            " false, id % 11 = 0, false, now() FROM tickets"
        )
        # Outages: 50 per service, one every two weeks, an hour each, none overlapping.
        run(
            "INSERT INTO outages (service_code, started_at, ended_at, planned, municipalities,"
            " description, ticket_id, probe_id, created_by_id, created_at, updated_at, version)"
            " SELECT 'SVC-' || s, now() - (k * interval '14 days') + (s * interval '1 minute'),"
            " now() - (k * interval '14 days') + (s * interval '1 minute') + interval '1 hour',"
            " k % 5 = 0, NULL, '', NULL, NULL, NULL, now(), now(), 1"
            f" FROM generate_series(1, {SERVICES}) s, generate_series(1, {OUTAGES_PER_SERVICE}) k"
        )
    # Autovacuum would get here on its own in a live database; index-only scans
    # need the visibility map it sets.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def bench(tickets: int = 1_000_000, runs: int = 15, keep: bool = False) -> dict[str, float]:
    """Load, scrape and print; return the figures (bench/run_all.py collects them)."""
    with scratch_database("postgresql", keep, prefix="bench_metrics") as url:
        migrate.upgrade(url)
        started = time.perf_counter()
        load(url, tickets)
        loaded = time.perf_counter() - started
        print(f"loaded {tickets} tickets in {loaded:.1f} s")
        app = create_app(
            {"database_url": url, "secret_key": "bench", "metrics_cache_seconds": 3600}
        )
        client = app.test_client()
        collector = app.extensions["kommune_ikt.metrics"].database_collector
        statements: list[str] = []
        engine = app.extensions["kommune_ikt.db"].engine
        sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        client.get("/metrics")  # connect, import, warm the plan cache once
        cold, warm = [], []
        for _ in range(runs):
            collector.invalidate()
            statements.clear()
            t0 = time.perf_counter()
            body = client.get("/metrics").get_data(as_text=True)
            cold.append(time.perf_counter() - t0)
            queries = len(statements)
            t0 = time.perf_counter()
            client.get("/metrics")
            warm.append(time.perf_counter() - t0)
        series = sum(1 for line in body.splitlines() if line and not line.startswith("#"))
        print(
            f"services={SERVICES} municipalities={MUNICIPALITIES} tickets={tickets} "
            f"outages={SERVICES * OUTAGES_PER_SERVICE}"
        )
        print(
            f"cold scrape: median {statistics.median(cold) * 1000:.1f} ms, "
            f"max {max(cold) * 1000:.1f} ms ({queries} queries)"
        )
        print(
            f"warm scrape: median {statistics.median(warm) * 1000:.1f} ms, "
            f"max {max(warm) * 1000:.1f} ms"
        )
        print(f"series: {series}")
        app.extensions["kommune_ikt.db"].engine.dispose()
    return {
        "load_s": loaded,
        "cold_median_ms": statistics.median(cold) * 1000,
        "cold_max_ms": max(cold) * 1000,
        "warm_median_ms": statistics.median(warm) * 1000,
        "queries": queries,
        "series": series,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    bench(args.tickets, args.runs, args.keep)


if __name__ == "__main__":
    main()
