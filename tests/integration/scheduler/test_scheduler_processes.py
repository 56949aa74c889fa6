"""Two `kommune-ikt scheduler` processes on one database: one runs jobs; killing it hands over."""

from __future__ import annotations

import signal
import subprocess
import time

from kommune_ikt.core.db import create_db_engine
from tests.support.machine import wait_for
from tests.support.scheduler import runs_by_pid, start


def test_one_scheduler_runs_jobs_and_a_standby_takes_over_when_it_is_killed(
    fresh_database, tmp_path
):
    engine = create_db_engine(fresh_database)
    first = start(fresh_database, tmp_path / "first.log")
    processes = [first]
    try:
        wait_for(lambda: runs_by_pid(engine), 20, "the first scheduler's job runs")
        second = start(fresh_database, tmp_path / "second.log")
        processes.append(second)
        # Give the second one time to start and try for the lock many times over.
        time.sleep(4)
        runs = runs_by_pid(engine)
        assert set(runs) == {first.pid}, runs
        assert second.poll() is None  # it waits, it does not give up

        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.monotonic()
        wait_for(lambda: runs_by_pid(engine).get(second.pid), 30, "the standby to take over")
        assert time.monotonic() - killed_at < 30
        before = runs_by_pid(engine)[first.pid]
        time.sleep(1)
        assert runs_by_pid(engine)[first.pid] == before  # the dead one runs nothing more
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        engine.dispose()


def test_stopped_scheduler_releases_the_lock_at_once(fresh_database, tmp_path):
    engine = create_db_engine(fresh_database)
    first = start(fresh_database, tmp_path / "first.log")
    second = None
    try:
        wait_for(lambda: runs_by_pid(engine), 20, "the first scheduler's job runs")
        second = start(fresh_database, tmp_path / "second.log")
        time.sleep(2)
        first.send_signal(signal.SIGTERM)
        assert first.wait(15) == 0
        stopped_at = time.monotonic()
        wait_for(lambda: runs_by_pid(engine).get(second.pid), 20, "the standby to take over")
        # No lease to wait out: well within the 3-second lease.
        assert time.monotonic() - stopped_at < 3 + 2
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(15)
        engine.dispose()
