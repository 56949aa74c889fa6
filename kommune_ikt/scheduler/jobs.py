"""The background jobs, with stable ids, and how a run is recorded.

Each job is a function of a ``JobContext`` (the database, the settings, the
clock) that opens its own transactions and returns a small dict of counts,
kept with the run in ``job_runs``. Other packages add jobs by naming a module
in ``JOB_PROVIDERS`` that defines ``scheduled_jobs() -> list[Job]``.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.config import Settings
from kommune_ikt.db import Database
from kommune_ikt.notifications.sender import send_due
from kommune_ikt.scheduler.models import JobRun
from kommune_ikt.types import utcnow
from metrics import events as metrics_events
from servicedesk.sla.escalation import sweep

log = logging.getLogger(__name__)
# Modules that may contribute jobs (skipped when not installed).
JOB_PROVIDERS: tuple[str, ...] = (
    "metrics.jobs",
    "servicedesk.attachments.jobs",
    "servicedesk.mail.jobs",
    "servicedesk.triage.jobs",
)
KEEP_RUNS = timedelta(days=30)


@dataclass
class JobContext:
    database: Database
    settings: Settings
    holder: str
    now: Callable[[], datetime] = utcnow

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: the job is the edge that commits."""
        with self.database.session() as session, session.begin():
            yield session


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[JobContext], dict[str, Any] | None]
    seconds: float
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def sla_sweep(ctx: JobContext) -> dict[str, Any]:
    """Record SLA warnings and breaches that have fallen due, with history and mail."""
    with ctx.transaction() as session:
        counts = sweep(session, ctx.now())
    escalations = sum(v for k, v in counts.items() if k.endswith(("_warning", "_breach")))
    _count_metric("sla_escalation", escalations)
    return counts


def send_notifications(ctx: JobContext) -> dict[str, Any]:
    """Send the outbox over SMTP (left waiting when SMTP is not configured)."""
    counts = send_due(ctx.database, ctx.settings, now=ctx.now)
    _count_metric("notification_sent", int(counts.get("sent", 0)))
    _count_metric("notification_failed", int(counts.get("failed", 0)))
    return counts


def prune_job_runs(ctx: JobContext) -> dict[str, Any]:
    """Forget job runs older than 30 days."""
    with ctx.transaction() as session:
        deleted = session.execute(
            sa.delete(JobRun).where(col(JobRun.started_at) < ctx.now() - KEEP_RUNS)
        ).rowcount  # type: ignore[attr-defined]  # DML gives a CursorResult
    return {"deleted": deleted}


def builtin_jobs() -> list[Job]:
    return [
        Job("sla_sweep", sla_sweep, 60, "SLA warnings (75 %) and breaches (100 %)"),
        Job("notifications_send", send_notifications, 30, "Send the notification outbox"),
        Job("job_runs_prune", prune_job_runs, 6 * 3600, "Forget old job runs"),
    ]


def all_jobs() -> list[Job]:
    jobs = builtin_jobs()
    for name in JOB_PROVIDERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        jobs.extend(module.scheduled_jobs())
    ids = [j.id for j in jobs]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate job ids: {sorted(duplicates)}")
    return jobs


def run_recorded(job: Job, ctx: JobContext) -> JobRun:
    """Run one job, recording its start, end and outcome (an error is kept, not raised)."""
    with ctx.transaction() as session:
        started = JobRun(job_id=job.id, holder=ctx.holder, started_at=ctx.now())
        session.add(started)
        session.flush()
        run_id = started.id
    outcome, error, detail = "ok", None, None
    try:
        detail = job.func(ctx)
    except Exception as exc:
        outcome = "error"
        error = "".join(traceback.format_exception(exc))[-4000:]
        log.exception("job %s failed", job.id)
        _count_metric("scheduler_job_failed", 1)
    with ctx.transaction() as session:
        run = session.get(JobRun, run_id)
        assert run is not None
        run.ended_at = ctx.now()
        run.outcome = outcome
        run.error = error
        run.detail = _jsonable(detail)
    return run


def _jsonable(detail: Any) -> Any:
    if detail is None:
        return None
    return {
        str(k): v if isinstance(v, int | float | str | bool) else str(v) for k, v in detail.items()
    }


def _count_metric(event: str, amount: int) -> None:
    """Count for Prometheus (metrics.events is the one place domain code counts events)."""
    if amount > 0:
        metrics_events.record(event, amount)
