"""The active scheduler killed in the middle of sending mail: the standby goes on, nothing twice.

The takeover itself is tested in tests/integration/scheduler/test_scheduler_processes.py
(whose helpers this reuses); here the kill lands while a batch of notifications is
being handed to a real SMTP server (aiosmtpd), and the test checks what arrived.
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from kommune_ikt.core.db import Database, create_db_engine
from kommune_ikt.core.scheduler.models import JobRun
from notifications.models import Notification
from notifications.services import enqueue
from tests.support.machine import free_port, wait_for
from tests.support.scheduler import runs_by_pid, start
from tests.support.smtp import Handler

pytestmark = [
    pytest.mark.db,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]
MAILS = 150
DELAY = 0.03  # seconds the SMTP server takes per message, so a batch takes a while


class SlowHandler(Handler):
    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.sleep(DELAY)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp():
    handler = SlowHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


def test_killed_scheduler_mid_batch_sends_no_notification_twice(
    fresh_database, tmp_path, slow_smtp, monkeypatch
):
    engine = create_db_engine(fresh_database)
    with Database(engine).session() as session, session.begin():
        for i in range(MAILS):
            enqueue(
                session,
                "ticket_created",
                f"innbygger{i}@kristiansund.kommune.no",
                {"number": f"INC-2026-{i + 1:06d}", "title": "Skriver", "priority": 3},
            )
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(slow_smtp.port))
    first = start(fresh_database, tmp_path / "first.log")
    processes = [first]
    try:
        wait_for(lambda: runs_by_pid(engine), 20, "the first scheduler's job runs")
        second = start(fresh_database, tmp_path / "second.log")
        processes.append(second)
        # Killed while a batch is on its way to the SMTP server.
        wait_for(lambda: len(slow_smtp.messages) >= 10, 30, "the first mails to arrive")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.monotonic()
        arrived_before_kill = len(slow_smtp.messages)
        assert arrived_before_kill < MAILS, "the kill came too late to land mid-batch"

        def pending() -> int:
            with engine.connect() as conn:
                return conn.scalar(
                    sa.select(sa.func.count()).where(Notification.status == "pending")
                )

        wait_for(lambda: pending() == 0, 60, "the standby to send the rest")
        assert time.monotonic() - killed_at < 60
        time.sleep(1)  # anything sent twice would arrive now
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(15)

    with engine.connect() as conn:
        rows = conn.execute(sa.select(Notification.status, Notification.message_id)).all()
        runs = conn.execute(
            sa.select(JobRun.job_id, JobRun.holder, JobRun.started_at, JobRun.ended_at)
        ).all()
    engine.dispose()

    received = [m["Message-ID"] for m in slow_smtp.messages]
    assert len(received) == len(set(received)), "a notification was delivered twice"
    by_status: dict[str, set[str]] = {}
    for status, message_id in rows:
        by_status.setdefault(status, set()).add(message_id)
    assert set(by_status) <= {"sent", "sending"}, by_status.keys()
    # Every row marked sent arrived exactly once; the rows the killed scheduler had
    # claimed stay "sending" (maybe delivered, so never resent automatically).
    assert by_status["sent"] <= set(received)
    stuck = by_status.get("sending", set())
    assert 0 < len(stuck) <= 50, len(stuck)
    assert set(received) <= by_status["sent"] | stuck
    assert len(by_status["sent"]) + len(stuck) == MAILS

    # No job ran in both schedulers at once: the standby's first run of each job
    # started after the killed one's last run began.
    killed, standby = (f":{p.pid}" for p in processes)
    for job in {r.job_id for r in runs}:
        mine = [r for r in runs if r.job_id == job]
        dead_runs = [r.started_at for r in mine if r.holder.endswith(killed)]
        live_runs = [r.started_at for r in mine if r.holder.endswith(standby)]
        if dead_runs and live_runs:
            assert max(dead_runs) < min(live_runs), job
