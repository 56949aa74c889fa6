"""The scheduler process: wait for the database lock, then run the jobs with APScheduler.

Only the process holding the lock (``kommune_ikt.core.scheduler.lease``) runs jobs.
A standby polls for the lock and takes over when the active one dies or stops.
APScheduler runs every job with a stable id, ``coalesce`` (missed runs fold
into one) and ``max_instances=1`` (a slow run is never overlapped by the next).
The first run of each job is right after the lock is taken.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import Database
from kommune_ikt.core.scheduler.jobs import Job, JobContext, kernel_jobs, run_recorded
from kommune_ikt.core.scheduler.lease import Lease, lease_for

log = logging.getLogger(__name__)
# The modules that offer jobs, each with ``scheduled_jobs() -> list[Job]``.
JOB_PROVIDERS: tuple[str, ...] = (
    "notifications.jobs",
    "servicedesk.sla.jobs",
    "servicedesk.attachments.jobs",
    "servicedesk.mail.jobs",
    "servicedesk.triage.jobs",
    "metrics.jobs",
)


def all_jobs() -> list[Job]:
    """Every job of the deployment; the metrics package is loaded so that jobs' counts land."""
    import metrics.events  # noqa: F401  (listens to kommune_ikt.core.events)

    jobs = kernel_jobs()
    for name in JOB_PROVIDERS:
        jobs.extend(importlib.import_module(name).scheduled_jobs())
    ids = [j.id for j in jobs]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate job ids: {sorted(duplicates)}")
    return jobs


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class SchedulerOptions:
    # The SQLite lease lives this long without renewal; PostgreSQL needs none.
    lease_seconds: float = 30.0
    renew_seconds: float = 10.0
    # How often a standby asks for the lock.
    poll_seconds: float = 5.0
    # Per-job interval overrides, in seconds.
    intervals: Mapping[str, float] = field(default_factory=dict)


class Scheduler:
    """One scheduler process: standby until it holds the lock, then active until told to stop."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        options: SchedulerOptions | None = None,
        *,
        holder: str | None = None,
        jobs: list[Job] | None = None,
        lease: Lease | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.options = options or SchedulerOptions()
        self.holder = holder or default_holder()
        self.jobs = jobs if jobs is not None else all_jobs()
        unknown = set(self.options.intervals) - {j.id for j in self.jobs}
        if unknown:
            raise ValueError(f"unknown job ids: {', '.join(sorted(unknown))}")
        self.stopping = threading.Event()
        self.active = threading.Event()
        self.lease: Lease = lease or lease_for(
            database.engine, self.holder, self.options.lease_seconds
        )
        # Every run is in job_runs; APScheduler's own line per run is noise.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        """Block until ``stop()``: wait for the lock, run the jobs while it is held."""
        log.info("scheduler %s starting (standby until it holds the lock)", self.holder)
        while not self.stopping.is_set():
            if self._try_acquire():
                self._run_active()
            else:
                self.stopping.wait(self.options.poll_seconds)
        log.info("scheduler %s stopped", self.holder)

    def _try_acquire(self) -> bool:
        """Ask for the lock; a database that is down (restarting) means "not now", not a crash."""
        try:
            return self.lease.acquire()
        except sa.exc.SQLAlchemyError as exc:
            log.warning("scheduler %s cannot reach the database: %s", self.holder, exc)
            return False

    def _run_active(self) -> None:
        log.info("scheduler %s is active", self.holder)
        self.active.set()
        scheduler = self._apscheduler()
        scheduler.start()
        try:
            while not self.stopping.wait(self.options.renew_seconds):
                if not self.lease.renew():
                    log.warning("scheduler %s lost the lock; back to standby", self.holder)
                    break
        finally:
            self.active.clear()
            # Let running jobs finish before anyone else may start them.
            scheduler.shutdown(wait=True)
            self.lease.release()

    def _apscheduler(self) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        context = JobContext(self.database, self.settings, self.holder)
        now = datetime.now(UTC)
        for job in self.jobs:
            scheduler.add_job(
                run_recorded,
                "interval",
                args=(job, context),
                seconds=self.options.intervals.get(job.id, job.seconds),
                id=job.id,
                name=job.description or job.id,
                next_run_time=now,
                replace_existing=True,
            )
        return scheduler
