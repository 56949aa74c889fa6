"""Scheduler processes (``kommune-ikt scheduler``) on short intervals, and the runs they record."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from kommune_ikt.core.scheduler.models import JobRun

ARGS = [
    "--every=sla_sweep=0.5",
    "--every=notifications_send=0.5",
    "--renew-seconds=0.5",
    "--poll-seconds=0.5",
    "--lease-seconds=3",
]


def start(url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kommune_ikt.cli", "scheduler", *ARGS],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def runs_by_pid(engine) -> dict[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(JobRun.holder, sa.func.count()).group_by(JobRun.holder)).all()
    return {int(holder.rpartition(":")[2]): count for holder, count in rows}
