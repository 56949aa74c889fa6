"""What a background job is, and how a run is recorded.

Each job is a function of a ``JobContext`` (the database, the settings, the
clock) that opens its own transactions and returns a small dict of counts,
kept with the run in ``job_runs``. Each package offers its jobs from a module
with ``scheduled_jobs() -> list[Job]``; the composition (``kommune_ikt.scheduler``)
names those modules and runs them.
"""

from __future__ import annotations

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

from kommune_ikt.core import events
from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import Database
from kommune_ikt.core.scheduler.models import JobRun
from kommune_ikt.core.types import utcnow

log = logging.getLogger(__name__)
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


def prune_job_runs(ctx: JobContext) -> dict[str, Any]:
    """Forget job runs older than 30 days."""
    with ctx.transaction() as session:
        deleted = session.execute(
            sa.delete(JobRun).where(col(JobRun.started_at) < ctx.now() - KEEP_RUNS)
        ).rowcount  # type: ignore[attr-defined]  # DML gives a CursorResult
    return {"deleted": deleted}


def kernel_jobs() -> list[Job]:
    return [Job("job_runs_prune", prune_job_runs, 6 * 3600, "Forget old job runs")]


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
        events.count("scheduler_job_failed")
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
