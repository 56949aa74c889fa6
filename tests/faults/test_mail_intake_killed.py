"""The mail intake killed (SIGKILL) mid-batch, then restarted: every mail takes effect once.

A real ``kommune-ikt scheduler`` reads a real Dovecot. It is killed while it works
through the mailbox, so the kill lands before a commit, between a commit and its
IMAP move, or during a move; a second scheduler then finishes the mailbox. Each
mail must have made exactly one ticket or comment. Only our own processes are
killed: the database server is left alone (this test runs on both databases).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.db import Database, create_db_engine
from service_catalog.municipalities import add_municipality
from servicedesk import filing
from servicedesk.mail.models import MailMessage
from servicedesk.models import Ticket, TicketComment
from tests.support.machine import wait_for
from tests.support.mailserver import PASSWORD, mail, start_dovecot

pytestmark = [pytest.mark.db, pytest.mark.mail]
KARI = "kari@kristiansund.kommune.no"
MAILS = 150


@pytest.fixture
def dovecot_server():
    server = start_dovecot()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


def start(env: dict[str, str], log) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kommune_ikt.cli", "scheduler"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_intake_killed_mid_batch_then_restarted_takes_every_mail_once(
    fresh_database, dovecot_server, tmp_path
):
    engine = create_db_engine(fresh_database)
    database = Database(engine)
    with database.session() as session, session.begin():
        add_municipality(session, SYSTEM, {"number": "1505", "joined_on": dt.date(2020, 1, 1)})
        kari = auth_services.create_user(
            session, SYSTEM, email=KARI, role="requester", municipality="1505"
        )
        ticket = filing.file_ticket(
            session,
            Actor(kari.id, Role.REQUESTER, "1505", KARI),
            filing.NewTicket(title="Skriver", description="x", type="incident", impact=3,
                             urgency=3),
        ).ticket  # fmt: skip
        number = ticket.number
    replies = {f"Svar {i}" for i in range(0, MAILS, 3)}
    news = {f"Sak {i}" for i in range(MAILS) if i % 3}
    dovecot_server.deliver(
        *(
            mail(KARI, f"Re: [{number}] Skriver", f"Svar {i}")
            if i % 3 == 0
            else mail(KARI, f"Sak {i}", f"Beskrivelse {i}")
            for i in range(MAILS)
        )
    )
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "LOG_LEVEL": "WARNING",
        "MAIL_IMAP_URL": dovecot_server.url,
        "MAIL_IMAP_PASSWORD": PASSWORD,
        "MAIL_POLL_SECONDS": "0.5",
        "SCHEDULER_LEASE_SECONDS": "3",
        "SCHEDULER_RENEW_SECONDS": "1",
        "SCHEDULER_POLL_SECONDS": "0.5",
    }

    def handled() -> int:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(MailMessage)).scalar_one()

    first = start(env, tmp_path / "first.log")
    try:
        wait_for(lambda: handled() >= 20, 60, "the intake to be under way")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert handled() < MAILS, "the kill came too late to land mid-batch"

    second = start(env, tmp_path / "second.log")
    try:
        wait_for(lambda: dovecot_server.count("INBOX") == 0, 120, "the mailbox to be emptied")
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()

    with database.session() as session:
        titles = Counter(session.scalars(sa.select(Ticket.title).where(Ticket.title != "Skriver")))
        bodies = Counter(session.scalars(sa.select(TicketComment.body)))
        outcomes = Counter(session.scalars(sa.select(MailMessage.outcome)))
    assert set(titles) == news and set(titles.values()) == {1}
    assert set(bodies) == replies and set(bodies.values()) == {1}
    assert outcomes == {"ticket": len(news), "comment": len(replies)}
    assert dovecot_server.count("Processed") == MAILS
    engine.dispose()
