"""The scheduler lock on both databases, and the record of job runs."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import Database, create_db_engine
from kommune_ikt.core.scheduler.jobs import Job, JobContext, run_recorded
from kommune_ikt.core.scheduler.lease import lease_for
from kommune_ikt.core.scheduler.models import JobRun, SchedulerLease


@pytest.fixture
def database(fresh_database):
    engine = create_db_engine(fresh_database)
    yield Database(engine)
    engine.dispose()


def holders(database):
    with database.session() as session:
        return list(session.scalars(sa.select(SchedulerLease.holder)))


def test_second_holder_cannot_take_a_held_lock(database):
    a = lease_for(database.engine, "a:1", 30)
    b = lease_for(database.engine, "b:2", 30)
    try:
        assert a.acquire()
        assert not b.acquire()
        assert a.renew()
        assert holders(database) == ["a:1"]
    finally:
        a.release()
        b.release()


def test_released_lock_is_free_for_the_next(database):
    a = lease_for(database.engine, "a:1", 30)
    b = lease_for(database.engine, "b:2", 30)
    try:
        assert a.acquire()
        a.release()
        assert b.acquire()
        assert holders(database) == ["b:2"]
    finally:
        b.release()


def test_expired_sqlite_lease_is_taken_over_and_the_old_holder_knows(database, backend):
    if backend.name != "sqlite":
        pytest.skip("PostgreSQL's lock lives with its session, not an expiry")
    a = lease_for(database.engine, "a:1", 0.3)
    b = lease_for(database.engine, "b:2", 30)
    assert a.acquire()
    time.sleep(0.4)
    assert b.acquire()
    assert not a.renew()
    b.release()


def test_job_run_is_recorded_with_its_counts(database):
    ctx = JobContext(database, Settings(database_url="unused"), "test:1")
    run = run_recorded(Job("counting", lambda _ctx: {"done": 3}, 60), ctx)
    with database.session() as session:
        stored = session.get(JobRun, run.id)
    assert (stored.job_id, stored.holder, stored.outcome) == ("counting", "test:1", "ok")
    assert stored.detail == {"done": 3}
    assert stored.ended_at >= stored.started_at


def test_failing_job_is_recorded_with_its_error(database):
    def broken(_ctx):
        raise RuntimeError("the SMTP relay is on fire")

    ctx = JobContext(database, Settings(database_url="unused"), "test:1")
    run = run_recorded(Job("broken", broken, 60), ctx)
    with database.session() as session:
        stored = session.get(JobRun, run.id)
    assert stored.outcome == "error"
    assert "the SMTP relay is on fire" in stored.error
    assert stored.ended_at is not None
