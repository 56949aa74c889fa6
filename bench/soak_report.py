"""The soak test's end: every acknowledged write checked against the database, and the report.

Used by bench/soak.py (see there); not a script of its own.
"""

from __future__ import annotations

import os
import statistics
from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from kommune_ikt.core.db import create_db_engine
from service_catalog.models import Order
from servicedesk.models import Ticket, TicketComment, TicketHistory

# --- the check ----------------------------------------------------------------------------


def check(url: str, ledger: Any, people: Any) -> dict[str, Any]:
    """Compare every acknowledged write with what the database holds."""
    engine = create_db_engine(url)
    findings: dict[str, Any] = {}
    unknown = {kind: {m for k, m in ledger.unknown if k == kind} for kind, _ in ledger.unknown}
    with engine.connect() as conn:
        tickets = conn.execute(
            sa.select(col(Ticket.id), col(Ticket.title)).where(col(Ticket.title).like("Soak %"))
        ).all()
        by_marker: dict[str, list[int]] = defaultdict(list)
        for ticket_id, title in tickets:
            assert ticket_id is not None  # read back: the database gave it
            by_marker[title.split()[1]].append(ticket_id)
        findings["tickets"] = _compare(ledger.tickets, by_marker, unknown.get("ticket", set()))

        comment_rows = conn.execute(
            sa.select(
                col(TicketComment.id), col(TicketComment.ticket_id), col(TicketComment.body)
            ).where(col(TicketComment.body).like("soak-%"))
        ).all()
        comments: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for comment_id, ticket_id, body in comment_rows:
            assert comment_id is not None
            comments[body.split()[0].removeprefix("soak-")].append((comment_id, ticket_id))
        findings["comments"] = _compare(ledger.comments, comments, unknown.get("comment", set()))

        order_rows = conn.execute(
            sa.select(col(Order.id), col(Order.note), col(Order.status), col(Order.ticket_id))
        ).all()
        orders: dict[str, list[int]] = defaultdict(list)
        state = {}  # every order's, the demo's too: orderers approve those as well
        for order_id, note, status, ticket_id in order_rows:
            assert order_id is not None
            if note.startswith("soak-"):
                orders[note.removeprefix("soak-")].append(order_id)
            state[order_id] = (status, ticket_id)
        findings["orders"] = _compare(ledger.orders, orders, unknown.get("order", set()))
        findings["approvals_lost"] = [
            (o, state.get(o)) for o in sorted(ledger.approved)
            if state.get(o, ("", None))[0] not in ("approved", "fulfilled")
            or state[o][1] is None
        ]  # fmt: skip
        findings["fulfilments_lost"] = sorted(
            o for o in ledger.fulfilled if state.get(o, ("",))[0] != "fulfilled"
        )
        fulfilment_tickets = [t for s, t in state.values() if t is not None]
        findings["fulfilment_tickets_shared"] = len(fulfilment_tickets) - len(
            set(fulfilment_tickets)
        )

        soak_users = {uid for _t, uid, _n in people.requesters} | {u for _t, u in people.agents}
        history = conn.execute(
            sa.select(
                col(TicketHistory.ticket_id), col(TicketHistory.old), col(TicketHistory.new),
                col(TicketHistory.actor_id),
            ).where(
                col(TicketHistory.field) == "status",
                col(TicketHistory.actor_id).in_(soak_users),
            )
        ).all()  # fmt: skip
        stored = Counter((t, o, n, a) for t, o, n, a in history if o is not None)
        acknowledged = Counter(ledger.status_changes)
        ambiguous = len([1 for k, _ in ledger.unknown if k == "status"])
        missing = acknowledged - stored
        extra = stored - acknowledged
        # Fulfilling an order resolves its ticket (through in_progress if need be): up to
        # two rows by the fulfilling agent that no PATCH asked for.
        fulfilled_tickets = {t for s, t in state.values() if s == "fulfilled"}
        per_ticket: Counter = Counter()
        for (ticket_id, _old, new, _actor), n in list(extra.items()):
            if ticket_id in fulfilled_tickets and new in ("in_progress", "resolved"):
                per_ticket[ticket_id] += n
                if per_ticket[ticket_id] <= 2:
                    del extra[(ticket_id, _old, new, _actor)]
        findings["status_changes"] = {
            "acknowledged": sum(acknowledged.values()),
            "stored": sum(stored.values()),
            "lost": sum(missing.values()),
            "duplicated_or_unacknowledged": sum(extra.values()),
            "ambiguous_allowed": ambiguous,
        }
        # Each ticket's creation: None -> new by its requester, and new -> assigned by the
        # system (no actor) when it was assigned at once.
        mine = set(ledger.tickets.values())
        created = Counter(t for t, o, _n, _a in history if o is None and t in mine)
        assigned = Counter(
            t
            for (t,) in conn.execute(
                sa.select(col(TicketHistory.ticket_id)).where(
                    col(TicketHistory.field) == "status",
                    col(TicketHistory.actor_id).is_(None),
                    col(TicketHistory.ticket_id).in_(mine),
                )
            )
        )
        auto = {t for t, _uid in ledger.auto_assigned}
        findings["creation_history_not_once"] = sum(
            1 for t in mine if created.get(t, 0) != 1 or assigned.get(t, 0) != (t in auto)
        )
    engine.dispose()
    return findings


def _compare(acked: dict[str, Any], stored: dict[str, list], ambiguous: set[str]) -> dict:
    def ident(value: Any) -> Any:
        return value[0] if isinstance(value, tuple) else value

    lost = [m for m, v in acked.items() if [ident(x) for x in stored.get(m, [])] != [ident(v)]]
    duplicated = [m for m, ids in stored.items() if len(ids) > 1]
    phantom = [m for m in stored if m not in acked and m not in ambiguous]
    return {
        "acknowledged": len(acked),
        "stored": sum(len(v) for v in stored.values()),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "unacknowledged": len(phantom),
        "ambiguous_allowed": len(ambiguous),
        "examples": (lost + duplicated + phantom)[:5],
    }


# --- report -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def report(stats: Any, ledger: Any, findings: dict, elapsed: float, args: Any) -> dict[str, Any]:
    every = [x for values in stats.latencies.values() for x in values]
    server_errors = sum(n for c in stats.statuses.values() for s, n in c.items() if s >= 500)
    operations = {
        op: {
            "count": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "statuses": dict(sorted(stats.statuses[op].items())),
        }
        for op, values in sorted(stats.latencies.items())
    }
    losses = sum(
        findings[k]["lost"] + findings[k]["duplicated"] + findings[k]["unacknowledged"]
        for k in ("tickets", "comments", "orders")
    ) + len(findings["approvals_lost"]) + len(findings["fulfilments_lost"]) + findings[
        "fulfilment_tickets_shared"
    ] + findings["status_changes"]["lost"] + findings["creation_history_not_once"]  # fmt: skip
    extra_history = findings["status_changes"]["duplicated_or_unacknowledged"]
    losses += max(0, extra_history - findings["status_changes"]["ambiguous_allowed"])
    result = {
        "duration_s": round(elapsed, 1),
        "requests": stats.requests,
        "throughput_rps": round(stats.requests / elapsed, 1),
        "latency_ms": {
            "p50": round(statistics.median(every) * 1000, 1) if every else None,
            "p95": round(percentile(every, 0.95) * 1000, 1),
            "p99": round(percentile(every, 0.99) * 1000, 1),
        },
        "server_errors_5xx": server_errors,
        "transport_errors": dict(stats.transport_errors),
        "unexpected_4xx": len(stats.unexpected),
        "unexpected_examples": stats.unexpected[:10],
        "idempotent_replays": ledger.replays,
        "replay_mismatches": ledger.replay_mismatches,
        "operations": operations,
        "writes": findings,
        "lost_or_duplicated": losses,
        "clients": args.clients,
        "workers": args.workers,
        "load_average_before": args.load_before,
        "load_average_after": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
    }
    print(f"\n{stats.requests} requests in {elapsed:.0f} s: {result['throughput_rps']} req/s "
          f"({args.clients} clients, {args.workers} workers); latency p50/p95/p99 "
          f"{result['latency_ms']['p50']}/{result['latency_ms']['p95']}/"
          f"{result['latency_ms']['p99']} ms")  # fmt: skip
    print(f"{'operation':<24}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    for op, o in operations.items():
        print(f"{op:<24}{o['count']:>8}{o['p50_ms']:>9}{o['p95_ms']:>9}{o['p99_ms']:>9}  "
              f"{o['statuses']}")  # fmt: skip
    for kind in ("tickets", "comments", "orders"):
        f = findings[kind]
        print(f"{kind}: {f['acknowledged']} acknowledged, {f['stored']} stored, lost {f['lost']}, "
              f"duplicated {f['duplicated']}, unacknowledged {f['unacknowledged']}")  # fmt: skip
    sc = findings["status_changes"]
    print(f"status changes: {sc['acknowledged']} acknowledged, {sc['stored']} in the history, "
          f"lost {sc['lost']}, extra {sc['duplicated_or_unacknowledged']}")  # fmt: skip
    print(
        f"approvals {len(ledger.approved)} (lost {len(findings['approvals_lost'])}), "
        f"fulfilments {len(ledger.fulfilled)} (lost {len(findings['fulfilments_lost'])}), "
        f"idempotent replays {ledger.replays} (mismatched {len(ledger.replay_mismatches)})"
    )
    print(
        f"5xx: {server_errors}, transport errors: {sum(stats.transport_errors.values())}, "
        f"unexpected 4xx: {len(stats.unexpected)}, lost or duplicated writes: {losses}"
    )
    for line in stats.unexpected[:10]:
        print("  unexpected:", line)
    for order, state in findings["approvals_lost"][:5]:
        print(f"  approved order {order} now: {state}")
    return result
