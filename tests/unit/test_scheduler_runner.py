"""The scheduler loop with a fake lock: jobs run only while the lock is held."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from kommune_ikt.core.config import Settings
from kommune_ikt.core.scheduler.jobs import Job
from kommune_ikt.scheduler import Scheduler, SchedulerOptions, all_jobs


class FakeLease:
    holder = "fake:1"

    def __init__(self, grant_after: int = 0, keep_for: int = 10_000) -> None:
        self.asked = 0
        self.renewals = 0
        self.grant_after = grant_after
        self.keep_for = keep_for
        self.released = False

    def acquire(self) -> bool:
        self.asked += 1
        return self.asked > self.grant_after

    def renew(self) -> bool:
        self.renewals += 1
        return self.renewals < self.keep_for

    def release(self) -> None:
        self.released = True


class FakeDatabase:
    engine = None


def scheduler_with(lease, jobs, **options):
    opts = SchedulerOptions(renew_seconds=0.05, poll_seconds=0.05, **options)
    return Scheduler(FakeDatabase(), Settings(database_url="unused"), opts, jobs=jobs, lease=lease)


def counting_job(runs: list[float], seconds: float = 0.05) -> Job:
    return Job("count", lambda _ctx: runs.append(time.monotonic()), seconds)


@pytest.fixture(autouse=True)
def unrecorded(monkeypatch):
    # Job runs are recorded in the database elsewhere; here the job runs bare.
    monkeypatch.setattr("kommune_ikt.scheduler.run_recorded", lambda job, ctx: job.func(ctx))


def run_for(scheduler: Scheduler, seconds: float) -> None:
    thread = threading.Thread(target=scheduler.run)
    thread.start()
    time.sleep(seconds)
    scheduler.stop()
    thread.join(5)
    assert not thread.is_alive()


def test_standby_runs_nothing_until_it_gets_the_lock():
    runs: list[float] = []
    lease = FakeLease(grant_after=10**9)
    run_for(scheduler_with(lease, [counting_job(runs)]), 0.3)
    assert runs == [] and lease.asked > 1


def test_active_scheduler_runs_its_jobs_and_releases_on_stop():
    runs: list[float] = []
    lease = FakeLease()
    run_for(scheduler_with(lease, [counting_job(runs)]), 0.4)
    assert len(runs) >= 3
    assert lease.released


def test_losing_the_lock_stops_the_jobs():
    runs: list[float] = []
    lease = FakeLease(grant_after=0, keep_for=3)

    def never_again() -> bool:
        lease.asked += 1
        return lease.asked == 1

    lease.acquire = never_again  # type: ignore[method-assign]
    run_for(scheduler_with(lease, [counting_job(runs, 0.02)]), 0.6)
    assert runs, "it ran while it held the lock"
    stopped_at = runs[-1]
    assert time.monotonic() - stopped_at > 0.3  # nothing after the lock was lost


def test_a_slow_job_is_never_run_twice_at_once():
    running = []
    overlaps = []

    def slow(_ctx):
        if running:
            overlaps.append(True)
        running.append(1)
        time.sleep(0.2)
        running.pop()

    run_for(scheduler_with(FakeLease(), [Job("slow", slow, 0.02)]), 0.7)
    assert overlaps == []


def test_interval_override_for_an_unknown_job_is_refused():
    with pytest.raises(ValueError, match="nope"):
        scheduler_with(FakeLease(), [], intervals={"nope": 1})


def test_builtin_jobs_have_stable_unique_ids():
    ids = [job.id for job in all_jobs()]
    assert {"sla_sweep", "notifications_send", "job_runs_prune"} <= set(ids)
    assert len(ids) == len(set(ids))


def test_database_down_while_waiting_is_survived():
    runs: list[float] = []
    lease = FakeLease()
    granted = lease.acquire
    failures = iter([True, True])

    def flaky() -> bool:
        if next(failures, False):
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
        return granted()

    lease.acquire = flaky  # type: ignore[method-assign]
    run_for(scheduler_with(lease, [counting_job(runs)]), 0.5)
    assert runs, "it got the lock once the database answered again"
