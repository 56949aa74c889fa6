"""The database readings behind /metrics: a fixed handful of grouped queries.

None of the queries runs once per service, queue or municipality, so a scrape
costs the same number of round trips with 5 services or 500.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session
from sqlmodel import col

from kommune_ikt.core.scheduler.models import JobRun, SchedulerLease
from metrics import slo
from metrics.calendars import measures_by_service_hours
from metrics.models import Outage, Probe
from metrics.sqltime import epoch_seconds, literal_time
from service_catalog.models import Service
from servicedesk.choices import OPEN_STATUSES
from servicedesk.models import Ticket
from servicedesk.sla.models import SlaEvent, TicketSla

OPEN = sorted(str(s) for s in OPEN_STATUSES)
# Written exactly as the partial index ix_ticket_slas_breached_metrics, so it is used.
BREACHED = sa.or_(col(TicketSla.response_breached), col(TicketSla.resolution_breached))
# Scheduler job runs older than this are not read at scrape time (the table grows).
JOB_RUN_LOOKBACK = timedelta(days=1)


@dataclass
class OutageTotals:
    unplanned_count: int = 0
    planned_count: int = 0
    unplanned_seconds: float = 0.0
    planned_seconds: float = 0.0


@dataclass
class ProbeTotals:
    probes: int = 0
    runs: int = 0
    failures: int = 0
    failing: int = 0


@dataclass(frozen=True)
class ServiceRow:
    code: str
    tier: str
    status: str
    service_hours: str
    target: float | None


@dataclass
class Snapshot:
    """Everything /metrics shows from the database at one instant."""

    now: datetime
    month_start: datetime
    previous_month_start: datetime
    services: list[ServiceRow] = field(default_factory=list)
    # service_hours value -> how agreed time is measured (24×7 when absent).
    measures: dict[str, slo.Measure] = field(default_factory=dict)
    outage_totals: dict[str, OutageTotals] = field(default_factory=dict)
    # Outages touching [previous month start, now): service -> (planned?, interval) list.
    recent: dict[str, list[tuple[bool, slo.Interval]]] = field(default_factory=dict)
    probes: dict[str, ProbeTotals] = field(default_factory=dict)
    open_by_queue_priority: dict[tuple[str, int], int] = field(default_factory=dict)
    open_by_municipality: dict[str, int] = field(default_factory=dict)
    open_breached_by_priority: dict[int, int] = field(default_factory=dict)
    # (priority, target "response"|"resolution", kind "warning"|"breach") -> events ever.
    sla_events: dict[tuple[int, str, str], int] = field(default_factory=dict)
    # Tickets created this month with a decided outcome: key -> (met, breached).
    compliance_by_priority: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)
    compliance_by_municipality: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    scheduler_heartbeat: datetime | None = None
    # job -> outcome -> (runs in the lookback, last start)
    job_runs: dict[str, dict[str, tuple[int, datetime]]] = field(default_factory=dict)

    def service_rows(self) -> list[ServiceRow]:
        return self.services

    def measure_for(self, service_hours: str) -> slo.Measure:
        return self.measures.get(service_hours, slo.wall_seconds)

    def is_agreed_time(self, service_hours: str) -> bool:
        """Is ``now`` inside the agreed hours (a second from now on counts)?"""
        measure = self.measure_for(service_hours)
        return measure(self.now, self.now + timedelta(seconds=1)) > 0


def read_snapshot(session: Session, now: datetime, timezone: str) -> Snapshot:
    """Read every figure of the collector in a few grouped queries."""
    tz = ZoneInfo(timezone)
    snap = Snapshot(
        now=now,
        month_start=slo.month_start(now, tz),
        previous_month_start=slo.month_start(now, tz, 1),
    )
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # These are short grouped scans; JIT compilation would cost more than it saves.
        session.execute(sa.text("SET LOCAL jit = off"))
    _read_services(session, snap)
    _read_outages(session, snap, dialect)
    _read_probes(session, snap)
    _read_tickets(session, snap)
    _read_sla(session, snap)
    _read_scheduler(session, snap)
    return snap


def _read_services(session: Session, snap: Snapshot) -> None:
    rows = session.execute(
        sa.select(
            col(Service.code),
            col(Service.tier),
            col(Service.status),
            col(Service.service_hours),
            col(Service.availability_target),
        ).order_by(col(Service.code))
    )
    snap.services = [
        ServiceRow(code, tier, status, hours, None if target is None else float(target))
        for code, tier, status, hours, target in rows
    ]
    snap.measures = measures_by_service_hours(session)


def _read_outages(session: Session, snap: Snapshot, dialect: str) -> None:
    now = literal_time(snap.now)
    end = sa.case((col(Outage.ended_at).is_(None), now), else_=col(Outage.ended_at))
    duration = epoch_seconds(end, dialect) - epoch_seconds(Outage.started_at, dialect)
    totals = session.execute(
        sa.select(
            col(Outage.service_code),
            col(Outage.planned),
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(duration), 0.0),
        )
        .where(col(Outage.started_at) <= now)
        .group_by(col(Outage.service_code), col(Outage.planned))
    )
    for code, planned, count, seconds in totals:
        entry = snap.outage_totals.setdefault(code, OutageTotals())
        if planned:
            entry.planned_count, entry.planned_seconds = count, max(0.0, float(seconds))
        else:
            entry.unplanned_count, entry.unplanned_seconds = count, max(0.0, float(seconds))
    recent = session.execute(
        sa.select(
            col(Outage.service_code),
            col(Outage.planned),
            col(Outage.started_at),
            col(Outage.ended_at),
        ).where(
            col(Outage.started_at) <= now,
            sa.or_(
                col(Outage.ended_at).is_(None), col(Outage.ended_at) > snap.previous_month_start
            ),
        )
    )
    grouped: dict[str, list[tuple[bool, slo.Interval]]] = defaultdict(list)
    for code, planned, started, ended in recent:
        grouped[code].append((planned, (started, ended or snap.now)))
    snap.recent = dict(grouped)


def _read_probes(session: Session, snap: Snapshot) -> None:
    rows = session.execute(
        sa.select(
            col(Probe.service_code),
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(col(Probe.runs_total)), 0),
            sa.func.coalesce(sa.func.sum(col(Probe.failures_total)), 0),
            sa.func.coalesce(
                sa.func.sum(sa.case((col(Probe.last_ok).is_(False), 1), else_=0)),
                0,
            ),
        ).group_by(col(Probe.service_code))
    )
    for code, count, runs, failures, failing in rows:
        snap.probes[code] = ProbeTotals(count, int(runs), int(failures), int(failing))


def _read_tickets(session: Session, snap: Snapshot) -> None:
    # One pass over the open tickets (an index-only scan of ix_tickets_open_metrics
    # on PostgreSQL), folded here into both groupings.
    by_queue: dict[tuple[str, int], int] = defaultdict(int)
    by_municipality: dict[str, int] = defaultdict(int)
    for queue, priority, number, count in session.execute(
        sa.select(
            col(Ticket.queue_code),
            col(Ticket.priority),
            col(Ticket.municipality_number),
            sa.func.count(),
        )
        .where(col(Ticket.status).in_(OPEN))
        .group_by(col(Ticket.queue_code), col(Ticket.priority), col(Ticket.municipality_number))
    ):
        by_queue[(queue, int(priority))] += count
        by_municipality[number] += count
    snap.open_by_queue_priority = dict(by_queue)
    snap.open_by_municipality = dict(by_municipality)


def _read_sla(session: Session, snap: Snapshot) -> None:
    for priority, count in session.execute(
        sa.select(col(Ticket.priority), sa.func.count())
        .join(TicketSla, col(TicketSla.ticket_id) == col(Ticket.id))
        .where(col(Ticket.status).in_(OPEN), BREACHED)
        .group_by(col(Ticket.priority))
    ):
        snap.open_breached_by_priority[int(priority)] = count
    for priority, target, kind, count in session.execute(
        sa.select(
            col(SlaEvent.priority), col(SlaEvent.target), col(SlaEvent.kind), sa.func.count()
        ).group_by(col(SlaEvent.priority), col(SlaEvent.target), col(SlaEvent.kind))
    ):
        snap.sla_events[(int(priority), target, kind)] = count
    _read_compliance(session, snap)


def _read_compliance(session: Session, snap: Snapshot) -> None:
    """Met and breached targets of the tickets created this month, once decided.

    A response is decided once given or breached; a resolution once the ticket
    is resolved or the target breached. Two queries: the decided facts from the
    tickets alone, and the breaches through the small partial index of
    breached SLA rows (so the 1-row-per-ticket SLA table is never scanned).
    """

    def total(condition: sa.ColumnElement[bool] | Mapped[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    responded = col(Ticket.responded_at).is_not(None)
    resolved = col(Ticket.resolved_at).is_not(None)
    this_month = col(Ticket.created_at) >= snap.month_start
    keys = (col(Ticket.municipality_number), col(Ticket.priority))
    decided = {
        (number, int(priority)): (int(r), int(s))
        for number, priority, r, s in session.execute(
            sa.select(*keys, total(responded), total(resolved)).where(this_month).group_by(*keys)
        )
    }
    breaches = {
        (number, int(priority)): tuple(int(v) for v in values)
        for number, priority, *values in session.execute(
            sa.select(
                *keys,
                total(col(TicketSla.response_breached)),
                total(sa.and_(col(TicketSla.response_breached), responded)),
                total(col(TicketSla.resolution_breached)),
                total(sa.and_(col(TicketSla.resolution_breached), resolved)),
            )
            .join(TicketSla, col(TicketSla.ticket_id) == col(Ticket.id))
            .where(this_month, BREACHED)
            .group_by(*keys)
        )
    }
    by_priority: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    by_municipality: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for key in decided.keys() | breaches.keys():
        n_responded, n_resolved = decided.get(key, (0, 0))
        r_missed, r_missed_done, s_missed, s_missed_done = breaches.get(key, (0, 0, 0, 0))
        number, priority = key
        for target, met, missed in (
            ("response", n_responded - r_missed_done, r_missed),
            ("resolution", n_resolved - s_missed_done, s_missed),
        ):
            for bucket in (by_priority[(priority, target)], by_municipality[(number, target)]):
                bucket[0] += met
                bucket[1] += missed
    snap.compliance_by_priority = {k: (v[0], v[1]) for k, v in by_priority.items()}
    snap.compliance_by_municipality = {k: (v[0], v[1]) for k, v in by_municipality.items()}


def _read_scheduler(session: Session, snap: Snapshot) -> None:
    heartbeat = session.scalar(sa.select(sa.func.max(SchedulerLease.renewed_at)))
    snap.scheduler_heartbeat = None if heartbeat is None else _aware(heartbeat)
    since = snap.now - JOB_RUN_LOOKBACK
    for job, outcome, count, last in session.execute(
        sa.select(
            col(JobRun.job_id),
            col(JobRun.outcome),
            sa.func.count(),
            sa.func.max(col(JobRun.started_at)),
        )
        .where(col(JobRun.started_at) >= since)
        .group_by(col(JobRun.job_id), col(JobRun.outcome))
    ):
        snap.job_runs.setdefault(job, {})[outcome] = (count, _aware(last))


def _aware(value: datetime | str) -> datetime:
    """max() over a UTCDateTime comes back untyped on SQLite (naive UTC text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
