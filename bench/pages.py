"""The web pages' server time and weight, with a million tickets loaded.

    .venv/bin/python bench/pages.py [--db postgresql|sqlite|both] [--tickets 1000000]
        [--samples 100] [--bulk-samples 10] [--workers 2] [--keep] [--reuse URL]

For each database: a scratch database, migrated, seeded and bulk-loaded as
bench/tickets.py does (IKT Orkidé's nine members, 45 requesters, ``--tickets``
tickets over 2019 … now) but with 200 agents spread over the queues (issue 19),
then topped up with the demo (catalogue, prices, demo users, outages), and one
requester's newest ticket given comments until its desk timeline has 200 entries.

``kommune-ikt serve`` (gunicorn, gthread workers) serves it with
the demo sign-in on; each role signs in through the demo page like a browser
(cookie, CSRF token) and one client reads each page ``--samples`` times after a
warm-up. Printed: p50 and p95 of the time to the last byte on loopback (an upper
bound of the server time), and the issue's target. The agent's pages (issue 19):
the desk (the agent's own view and a queue's view, each with every view's count),
the queue's table alone (the htmx refresh), and the ticket with 200 entries. Then
the desk's bulk form (CSRF, "assign") on 50 open tickets of the queue,
``--bulk-samples`` times, alternately to the agent and a colleague: target < 2 s.
``--keep`` leaves the database; ``--reuse URL`` measures it again without loading.

Weight: the home page with every style and script it links, as a browser that
accepts compression downloads them on a first visit, and the page alone on a
later visit (the assets are cached: versioned URLs, immutable).

Pages that do not exist in this build are reported as missing, not failed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from sqlmodel import col

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ceiling import free_port, scratch_database, serving  # noqa: E402
from tickets import load_postgresql, load_sqlite, seed  # noqa: E402

from kommune_ikt import migrate  # noqa: E402
from kommune_ikt.core.auth.actor import Actor, Role  # noqa: E402
from kommune_ikt.core.auth.models import User  # noqa: E402
from kommune_ikt.core.db import Database, create_db_engine, saved_id  # noqa: E402
from kommune_ikt.demo import load_demo  # noqa: E402
from portal.desk import timeline as desk_timeline  # noqa: E402
from service_catalog.models import Service  # noqa: E402
from servicedesk import services  # noqa: E402
from servicedesk.models import QueueAgent, RoutingRule, Ticket  # noqa: E402

CLI = str(Path(sys.executable).parent / "kommune-ikt")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ASSET = re.compile(r'(?:href|src)="(/static/portal/[^"]+)"')
ENCODINGS = "gzip, deflate, br, zstd"
YEAR = date.today().year

# (role's e-mail, page label, path or a callable of the run's ids, target p95 ms)
REQUESTER = "bruker0.1505@bench.example"  # a bench requester: ~1/45 of the tickets are theirs
ORDERER = "orderer@kristiansund.demo"  # sees every ticket of Kristiansund (~1/9)
AGENT = "agent0@bench.example"  # one of the 200 agents: in ARBEIDSPLASS and on the first line
AGENTS = 200  # issue 19: 200 agents, spread over the queues
TIMELINE = 200  # issue 19: a ticket with 200 timeline entries
BULK = 50  # issue 19: a bulk action on 50 tickets
BULK_QUEUE = "ARBEIDSPLASS"  # the queue view measured; a colleague from it for the bulk
OPEN = ("new", "assigned", "in_progress", "pending")


def pages(ids: dict[str, Any]) -> list[tuple[str, str, Any, float]]:
    own = ids["own_tickets"]
    queue = f"view=queue:{BULK_QUEUE}"
    return [
        (REQUESTER, "home", "/", 50),
        (REQUESTER, "my tickets", "/tickets", 50),
        (REQUESTER, "ticket page", lambda r: f"/tickets/{r.choice(own)}", 50),
        (REQUESTER, "catalogue", "/catalogue", 100),
        (ORDERER, "home (orderer)", "/", 50),
        (ORDERER, "my tickets (orderer)", "/tickets", 50),
        (ORDERER, "cost report", f"/costs?year={YEAR}", 100),
        (ORDERER, "catalogue service page", f"/catalogue/{ids['service']}", 100),
        (AGENT, "desk: my view + counts", "/desk", 100),
        (AGENT, "desk: queue view + counts", f"/desk?{queue}", 100),
        (AGENT, "desk: queue table (htmx)", f"/desk/table?{queue}", 100),
        (AGENT, f"desk ticket, {ids['timeline']} entries", f"/desk/tickets/{ids['long_ticket']}",
         100),
    ]  # fmt: skip


def sign_in(base: str, user_id: int) -> requests.Session:
    browser = requests.Session()
    browser.headers["Accept-Language"] = "nb-NO,nb;q=0.9"
    page = browser.get(f"{base}/sign-in/demo", timeout=30)
    page.raise_for_status()
    token = CSRF.search(page.text)
    assert token, "no CSRF token on the demo sign-in page"
    answer = browser.post(
        f"{base}/sign-in/demo/{user_id}",
        data={"csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code in (302, 303), answer.status_code
    return browser


def timed(browser: requests.Session, url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    response = browser.get(url, timeout=60, allow_redirects=False)
    _ = response.content
    return (time.perf_counter() - t0) * 1000, response.status_code


def weight(browser: requests.Session, base: str) -> tuple[int, int]:
    """Bytes on the wire: (first visit with every asset, later visit: the page alone)."""
    headers = {"Accept-Encoding": ENCODINGS}
    page = browser.get(f"{base}/", headers=headers, timeout=30, stream=True)
    raw = page.raw.read()
    first = later = len(raw)
    html = browser.get(f"{base}/", timeout=30).text
    for url in ASSET.findall(html):
        asset = browser.get(base + url.replace("&amp;", "&"), headers=headers, stream=True)
        first += len(asset.raw.read())
    return first, later


def load(kind: str, url: str, tickets: int) -> None:
    """Migrate, seed (200 agents), bulk-load, top up with the demo; one long ticket."""
    migrate.upgrade(url)
    engine = create_db_engine(url)
    seeded = seed(engine, agents_count=AGENTS)
    db = Database(engine)
    with db.session() as session:
        rules = list(session.scalars(sa.select(RoutingRule).order_by(col(RoutingRule.position))))
        session.expunge_all()
    t0 = time.perf_counter()
    (load_postgresql if kind == "postgresql" else load_sqlite)(engine, tickets, seeded, rules)
    print(f"bulk load of {tickets:,} tickets: {time.perf_counter() - t0:.0f} s", flush=True)
    with db.session() as session, session.begin():
        load_demo(session)
    with db.session() as session, session.begin():
        users = {u.email: saved_id(u) for u in session.scalars(sa.select(User))}
        long_ticket = session.get(Ticket, _long(session, users))
        assert long_ticket is not None
        # 200 timeline entries: comments (public and internal) and the mails they send,
        # through the same service functions as the pages.
        agent = Actor(users[AGENT], Role.AGENT, None, AGENT)
        k = 0
        while len(desk_timeline.timeline(session, agent, long_ticket)) < TIMELINE:
            services.add_comment(session, agent, long_ticket, f"Svar nummer {k}", k % 3 == 0)
            k += 1
    engine.dispose()


def _own(session: Any, users: dict[str, int]) -> list[int]:
    return list(
        session.scalars(
            sa.select(col(Ticket.id))
            .where(col(Ticket.requester_id) == users[REQUESTER])
            .order_by(col(Ticket.id).desc())
            .limit(200)
        )
    )


def _long(session: Any, users: dict[str, int]) -> int:
    """The newest ticket that still takes comments (the requester's if they have one)."""
    still_open = sa.select(col(Ticket.id)).where(col(Ticket.status).not_in(("closed", "cancelled")))
    newest = col(Ticket.id).desc()
    found = session.scalar(
        still_open.where(col(Ticket.requester_id) == users[REQUESTER]).order_by(newest)
    ) or session.scalar(still_open.order_by(newest))
    assert found is not None, "no open ticket to write 200 timeline entries on"
    return int(found)


def ids_of(url: str) -> dict[str, Any]:
    """What the pages need: users, the requester's tickets, the long ticket, a service, and
    the bulk action's 50 open tickets of the agent's queue."""
    engine = create_db_engine(url)
    with Database(engine).session() as session:
        users = {u.email: saved_id(u) for u in session.scalars(sa.select(User))}
        own = _own(session, users)
        agent = Actor(users[AGENT], Role.AGENT, None, AGENT)
        long_id = _long(session, users)
        long_ticket = session.get(Ticket, long_id)
        assert long_ticket is not None
        timeline = len(desk_timeline.timeline(session, agent, long_ticket))
        service = session.scalar(sa.select(col(Service.code)).order_by(col(Service.code)).limit(1))
        bulk = list(
            session.scalars(
                sa.select(col(Ticket.id))
                .where(col(Ticket.status).in_(OPEN), col(Ticket.id) != long_id)
                .order_by(col(Ticket.id).desc())
                .limit(BULK)
            )
        )
        other = session.scalar(
            sa.select(col(QueueAgent.user_id)).where(
                col(QueueAgent.queue_code) == BULK_QUEUE, col(QueueAgent.user_id) != users[AGENT]
            )
        )
    engine.dispose()
    return {"users": users, "own_tickets": own, "long_ticket": long_id, "timeline": timeline,
            "service": service, "bulk": bulk, "other_agent": other}  # fmt: skip


def bulk_action(browser: requests.Session, base: str, ids: dict[str, Any], samples: int) -> Any:
    """POST the desk's bulk form (assign, CSRF) on 50 tickets, alternately to the agent and
    a colleague of the queue so that each round changes every ticket: the times, and how
    many were done."""
    page = browser.get(f"{base}/desk?view=queue:{BULK_QUEUE}", timeout=60)
    token = CSRF.search(page.text)
    assert token, "no CSRF token on /desk"
    times, done = [], []
    for k in range(samples):
        form = {"csrf_token": token.group(1), "action": "assign",
                "assignee": "me" if k % 2 == 0 else str(ids["other_agent"]),
                "queue": "", "status": "", "body": "", "ticket": [str(i) for i in ids["bulk"]],
                "back": f"view=queue:{BULK_QUEUE}"}  # fmt: skip
        t0 = time.perf_counter()
        answer = browser.post(f"{base}/desk/bulk", data=form, timeout=120)
        _ = answer.content
        times.append((time.perf_counter() - t0) * 1000)
        said = re.search(r"(\d+) utført, (\d+) avvist", answer.text)
        done.append((answer.status_code, said.groups() if said else None))
    return sorted(times), done


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    size = f"the kept {args.reuse}" if args.reuse else f"{args.tickets:,} tickets"
    print(f"\n== {kind}: web pages with {size} ==", flush=True)
    results: dict[str, Any] = {}
    with _database(kind, args) as url:
        if not args.reuse:
            load(kind, url, args.tickets)
        ids = ids_of(url)
        env = {**os.environ, "DATABASE_URL": url, "GUNICORN_ACCESSLOG": "",
               "WEB_CONCURRENCY": str(args.workers), "SECRET_KEY": "bench",
               "AUTH_FAILURES_PER_MINUTE": "1000000", "LOG_LEVEL": "WARNING",
               "DEMO_SIGNIN": "1"}  # fmt: skip
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve = [CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                 "--no-scheduler"]  # fmt: skip
        rng = random.Random(3)
        with serving(serve, env, port):
            browsers = {
                email: sign_in(base, ids["users"][email]) for email in (REQUESTER, ORDERER, AGENT)
            }
            print(f"{'page':<36}{'p50 ms':>9}{'p95 ms':>9}{'target':>9}  result")
            for email, label, path, target in pages(ids):
                browser = browsers[email]
                first = path(rng) if callable(path) else path
                _, status = timed(browser, base + first)
                if status == 404 and not callable(path):
                    print(f"{label:<36}{'':>9}{'':>9}{target:>9.0f}  missing in this build")
                    continue
                for _ in range(5):
                    timed(browser, base + (path(rng) if callable(path) else path))
                times, statuses = [], set()
                for _ in range(args.samples):
                    ms, status = timed(browser, base + (path(rng) if callable(path) else path))
                    times.append(ms)
                    statuses.add(status)
                times.sort()
                p50 = statistics.median(times)
                p95 = times[max(int(len(times) * 0.95) - 1, 0)]
                verdict = "ok" if p95 < target and statuses == {200} else "OVER"
                if statuses != {200}:
                    verdict = f"status {sorted(statuses)}"
                print(f"{label:<36}{p50:>9.1f}{p95:>9.1f}{target:>9.0f}  {verdict}", flush=True)
                results[label] = {"p50": p50, "p95": p95, "target": target, "ok": verdict == "ok"}
            times, done = bulk_action(browsers[AGENT], base, ids, args.bulk_samples)
            p50, worst = statistics.median(times), times[-1]
            all_done = all(d == (200, (str(len(ids["bulk"])), "0")) for d in done)
            verdict = "ok" if worst < 2000 and all_done else f"OVER {done}"
            label = f"bulk assign, {len(ids['bulk'])} tickets (max)"
            print(f"{label:<36}{p50:>9.1f}{worst:>9.1f}{2000:>9.0f}  {verdict}", flush=True)
            results["bulk"] = {"p50": p50, "max": worst, "target": 2000}
            first, later = weight(browsers[REQUESTER], base)
            print(
                f"home page weight: first visit {first / 1000:.1f} kB (target < 150), "
                f"later visit {later / 1000:.1f} kB (target < 30), compressed"
            )
            results["weight_first_kb"] = first / 1000
            results["weight_later_kb"] = later / 1000
    return results


@contextmanager
def _database(kind: str, args: argparse.Namespace) -> Iterator[str]:
    if args.reuse:
        yield args.reuse
        return
    with scratch_database(kind, args.keep, prefix="kikt_bench_portal") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="postgresql")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bulk-samples", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", metavar="URL", help="measure a database kept by --keep again")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if args.reuse:  # the kept database's own kind, whatever --db says
        kinds = ["sqlite" if args.reuse.startswith("sqlite") else "postgresql"]
    for kind in kinds:
        run(kind, args)


if __name__ == "__main__":
    main()
