"""Cost report time at collaboration scale: 400 municipalities × 200 services × 12 months.

    .venv/bin/python bench/cost_report.py [--repeat 5] [--only sqlite|postgresql] [--keep]

Builds the same data on each database, each a database of its own: a SQLite
file in a temporary directory, and a fresh PostgreSQL database on the server
of TEST_POSTGRES_URL (default postgres@127.0.0.1:5432) that the script
creates and drops (unless --keep). Then it times, over HTTP (the Flask test
client: authentication, the report, JSON) and in the service function alone:

- the collaboration-wide report (one row per municipality, the sums);
- one municipality's report (about 1 600 lines);

and counts the SQL statements each sends. Printed: best and median of
``--repeat`` runs.

The data: the 363 official municipalities of the reference data plus 37
synthetic ones (codes 9001-9037; there are fewer than 400 real ones), of which
5 leave on 1 July and 5 join on 1 April, so the monthly splits differ; three
keys (1/3 + 2/3, 30/70, fixed shares of 0.0025 each); 120 basic, 70 optional
and 10 special services; 10 subscriptions per municipality (one in three
changing quantity mid-year); 2 accepted special requests per municipality.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from ceiling import scratch_database

from kommune_ikt import migrate
from kommune_ikt.app import create_app
from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM
from kommune_ikt.core.db import create_db_engine, saved_id
from kommune_ikt.core.types import utcnow
from service_catalog.models import (
    AllocationKey,
    AllocationKeyShare,
    Municipality,
    MunicipalityPopulation,
    Service,
    ServicePrice,
    SpecialRequest,
    Subscription,
    SubscriptionChange,
)
from service_catalog.official_municipalities import reference_municipalities
from service_catalog.reports import build as cost_reports

YEAR = 2026
# The population figures the allocation keys use (SSB's 2024 for the reference members).
POPULATION_YEAR = 2024
MUNICIPALITIES, BASIC, OPTIONAL, SPECIAL = 400, 120, 70, 10
SUBSCRIPTIONS_EACH, SPECIALS_EACH = 10, 2
ONE = "1505"
PRICE_COLUMNS = (
    "annual_cost", "allocation_key", "unit", "unit_price", "period", "setup_fee", "hourly_rate"
)  # fmt: skip  # Kristiansund: the municipality whose own report is timed


def build(url: str) -> str:
    """Migrate and bulk-load; return an admin token."""
    migrate.upgrade(url)
    engine = create_db_engine(url)
    now = utcnow()
    official = sorted(reference_municipalities().values(), key=lambda m: m.number)
    municipalities: list[dict[str, Any]] = [
        {
            "number": m.number,
            "name": m.name,
            "country": m.country,
            "county": m.county,
            "population": m.population,
            # Held as the keys' year: a few reference figures are a later year's (SCB
            # 2025), and a key finds no population for a municipality without its year.
            "population_year": POPULATION_YEAR,
        }
        for m in official
    ]
    for i in range(MUNICIPALITIES - len(municipalities)):
        municipalities.append(
            {
                "number": f"{9001 + i}",
                "name": f"Bench {9001 + i}",
                "country": "NO",
                "county": None,
                "population": 1000 + 37 * i,
                "population_year": POPULATION_YEAR,
            }
        )
    for i, m in enumerate(municipalities):
        m.update(
            joined_on=date(YEAR, 4, 1) if i % 80 == 7 else date(2019, 1, 1),
            left_on=date(YEAR, 7, 1) if i % 80 == 3 else None,
            sla_policy_set="default",
            created_at=now,
            updated_at=now,
        )
    numbers = [m["number"] for m in municipalities]
    keys = [
        {"id": 1, "name": "1/3 + 2/3", "equal_weight": Decimal("0.333"),
         "population_weight": Decimal("0.667"), "is_default": True},
        {"id": 2, "name": "30/70", "equal_weight": Decimal("0.3"),
         "population_weight": Decimal("0.7"), "is_default": False},
        {"id": 3, "name": "Eierandeler", "equal_weight": None, "population_weight": None,
         "is_default": False},
    ]  # fmt: skip
    for key in keys:
        key.update(
            description="",
            population_year=POPULATION_YEAR if key["equal_weight"] is not None else None,
            created_at=now,
            updated_at=now,
        )
    populations = [
        {"municipality_number": m["number"], "year": m["population_year"],
         "population": m["population"], "source": "", "updated_at": now}
        for m in municipalities
    ]  # fmt: skip
    shares = [{"key_id": 3, "municipality_number": n, "share": Decimal("0.0025")} for n in numbers]
    services, prices = [], []
    periods = ("month", "year", "once")
    for i in range(BASIC + OPTIONAL + SPECIAL):
        tier = "basic" if i < BASIC else "optional" if i < BASIC + OPTIONAL else "special"
        code = f"{tier[:3].upper()}-{i:03d}"
        services.append(
            {"code": code, "name": f"Tjeneste {i}", "description": "", "tier": tier,
             "category": "", "status": "active", "availability_target": Decimal("0.995"),
             "service_hours": "business", "owner_team": "", "created_at": now, "updated_at": now}
        )  # fmt: skip
        price: dict[str, Any] = {"service_code": code, "year": YEAR, "updated_at": now}
        # One shape for every row: executemany needs the same columns throughout.
        price.update(dict.fromkeys(PRICE_COLUMNS))
        if tier == "basic":
            price.update(
                model="allocation",
                annual_cost=Decimal(100_000 + 7_919 * i) + Decimal("0.37"),
                allocation_key=keys[i % 3]["name"],
            )
        elif tier == "optional":
            price.update(model="unit", unit="licence", unit_price=Decimal(500 + 13 * i),
                         period=periods[i % 3], setup_fee=Decimal(250 if i % 2 else 0))  # fmt: skip
        else:
            price.update(model="quote", hourly_rate=Decimal("650.00"))
        prices.append(price)
    optional_codes = [s["code"] for s in services if s["tier"] == "optional"]
    special_codes = [s["code"] for s in services if s["tier"] == "special"]

    with engine.begin() as conn:
        conn.execute(sa.insert(Municipality), municipalities)
        conn.execute(sa.insert(MunicipalityPopulation), populations)
        conn.execute(sa.insert(AllocationKey), keys)
        conn.execute(sa.insert(AllocationKeyShare), shares)
        conn.execute(sa.insert(Service), services)
        conn.execute(sa.insert(ServicePrice), prices)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "SELECT setval('allocation_keys_id_seq', (SELECT max(id) FROM allocation_keys))"
            )
    maker = sa.orm.sessionmaker(bind=engine)
    with maker() as session, session.begin():
        admin = auth_services.create_user(session, SYSTEM, email="bench@example.org", role="admin")
        token = auth_services.issue_token(session, SYSTEM, saved_id(admin), "bench").secret
        subscriptions, changes, specials = [], [], []
        sid = 0
        for i, number in enumerate(numbers):
            for j in range(SUBSCRIPTIONS_EACH):
                sid += 1
                start = date(YEAR - 1 if j % 2 else YEAR, 1 + (i + j) % 12, 1)
                subscriptions.append(
                    {"id": sid, "municipality_number": number,
                     "service_code": optional_codes[(i * 7 + j) % len(optional_codes)],
                     "quantity": 1 + j, "start_on": start, "end_on": None,
                     "created_at": now, "updated_at": now}
                )  # fmt: skip
                changes.append(
                    {"subscription_id": sid, "effective_on": start, "quantity": 1 + j,
                     "created_at": now}
                )  # fmt: skip
                if sid % 3 == 0:
                    changes.append(
                        {"subscription_id": sid, "effective_on": date(YEAR, 9, 15),
                         "quantity": 3 + j, "created_at": now}
                    )  # fmt: skip
            for j in range(SPECIALS_EACH):
                specials.append(
                    {"municipality_number": number, "service_code": special_codes[j],
                     "title": f"Oppdrag {i}-{j}", "description": "", "status": "accepted",
                     "quote_hours": Decimal(10 + j), "quote_hourly_rate": Decimal("650.00"),
                     "quote_amount": Decimal(650 * (10 + j)), "created_by": admin.id,
                     "accepted_at": datetime(YEAR, 1 + (i + j) % 12, 10, tzinfo=UTC),
                     "created_at": now, "updated_at": now}
                )  # fmt: skip
        session.execute(sa.insert(Subscription), subscriptions)
        session.execute(sa.insert(SubscriptionChange), changes)
        session.execute(sa.insert(SpecialRequest), specials)
    engine.dispose()
    return token


def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def run(name: str, url: str, repeat: int) -> dict[str, Any]:
    """Build, time and print; return the figures (bench/run_all.py collects them)."""
    started = time.perf_counter()
    token = build(url)
    built = time.perf_counter() - started
    print(f"\n{name}: built in {built:.1f} s ({url.split('@')[-1]})")
    figures: dict[str, Any] = {"build_s": round(built, 1)}
    engine = create_db_engine(url)
    app = create_app({"ENGINE": engine, "database_url": url, "secret_key": "bench"})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    database = app.extensions["kommune_ikt.db"]
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def http(path: str) -> Callable[[], None]:
        def call() -> None:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:500]

        return call

    def direct(number: str | None) -> Callable[[], None]:
        def call() -> None:
            with database.session() as session:
                if number is None:
                    cost_reports.collaboration_report(session, SYSTEM, YEAR)
                else:
                    cost_reports.municipality_report(session, SYSTEM, YEAR, number)

        return call

    http("/api/v1/cost-reports/2026")()  # warm-up (also records the token's use)
    cases = [
        ("collaboration, HTTP JSON", http(f"/api/v1/cost-reports/{YEAR}")),
        ("collaboration, service only", direct(None)),
        (f"municipality {ONE}, HTTP JSON", http(f"/api/v1/cost-reports/{YEAR}?municipality={ONE}")),
        (f"municipality {ONE}, service only", direct(ONE)),
    ]
    print(f"  {'report':36} {'best':>8} {'median':>8} {'queries':>8}")
    for label, fn in cases:
        statements.clear()
        fn()
        queries = len(statements)
        best, median = measure(fn, repeat)
        print(f"  {label:36} {best * 1000:6.0f}ms {median * 1000:6.0f}ms {queries:8d}")
        figures[label] = {"best_ms": best * 1000, "median_ms": median * 1000, "queries": queries}
    report = client.get(f"/api/v1/cost-reports/{YEAR}?municipality={ONE}", headers=headers).json
    assert report is not None, "the report is JSON"
    lines = len(report["lines"])
    print(f"  ({lines} lines in municipality {ONE}'s report)")
    figures["lines"] = lines
    engine.dispose()
    return figures


def bench(repeat: int = 5, only: str | None = None, keep: bool = False) -> dict[str, Any]:
    """Both databases (or ``only`` one): ``{"sqlite": figures, "postgresql": figures}``."""
    results: dict[str, Any] = {}
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    for kind in ("sqlite", "postgresql"):
        if only in (None, kind):
            with scratch_database(kind, keep) as url:
                results[kind] = run(names[kind], url, repeat)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    bench(args.repeat, args.only, args.keep)


if __name__ == "__main__":
    main()
