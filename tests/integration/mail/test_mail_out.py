"""Mail out threads back: own Message-ID (kept), [number], Auto-Submitted, Reply-To, thread; cap."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.db import Database, create_db_engine
from notifications.models import Notification
from notifications.sender import send_due
from notifications.services import enqueue
from service_catalog.municipalities import add_municipality
from servicedesk import filing
from tests.support.smtp import smtp_settings

pytestmark = pytest.mark.db
DESK = "servicedesk@it.orkide.example"


@pytest.fixture
def database(fresh_database):
    engine = create_db_engine(fresh_database)
    yield Database(engine)
    engine.dispose()


def _requester_ticket(database: Database, email: str = "kari@kristiansund.kommune.no"):
    with database.session() as session, session.begin():
        add_municipality(session, SYSTEM, {"number": "1505", "joined_on": dt.date(2020, 1, 1)})
        user = auth_services.create_user(
            session, SYSTEM, email=email, role="requester", municipality="1505"
        )
        actor = Actor(user.id, Role.REQUESTER, "1505", email)
        ticket = filing.file_ticket(
            session, actor,
            filing.NewTicket(title="Skriver", description="Virker ikke", type="incident",
                             impact=3, urgency=3, source="email"),
        ).ticket  # fmt: skip
        for n in session.scalars(
            sa.select(Notification).where(Notification.ticket_id == ticket.id)
        ):
            n.context = {**n.context, "in_reply_to": "<kari-1@client.example>"}
        return ticket.id, ticket.number


def test_a_receipt_threads_back_to_the_requesters_mail(database, smtp_server):
    ticket_id, number = _requester_ticket(database)
    settings = smtp_settings(smtp_server.port, mail_desk_address=DESK)
    assert send_due(database, settings)["sent"] == 1
    [sent] = smtp_server.messages
    with database.session() as session:
        stored = session.scalar(sa.select(Notification.message_id))
    assert sent["Message-ID"] == stored
    assert sent["Subject"].startswith(f"[{number}] ")
    assert sent["Auto-Submitted"] == "auto-generated"
    assert sent["Reply-To"] == DESK
    assert sent["In-Reply-To"] == "<kari-1@client.example>"
    assert sent["References"] == f"<kari-1@client.example> <ticket-{ticket_id}@orkide.example>"


def test_reply_to_defaults_to_the_imap_user(database, smtp_server):
    _requester_ticket(database)
    url = "imaps://servicedesk%40it.orkide.example@imap.example:993/INBOX"
    send_due(database, smtp_settings(smtp_server.port, mail_imap_url=url))
    assert smtp_server.messages[0]["Reply-To"] == DESK


def test_daily_cap_on_automatic_mails_to_one_address_stops_a_loop(database, smtp_server):
    _requester_ticket(database, "loop@kristiansund.kommune.no")
    with database.session() as session, session.begin():
        for i in range(12):
            enqueue(session, "ticket_created", "loop@kristiansund.kommune.no",
                    {"number": f"INC-2026-{i:06d}", "title": "x"})  # fmt: skip
        enqueue(session, "sla_warning", "loop@kristiansund.kommune.no", {"number": "X"})
    counts = send_due(database, smtp_settings(smtp_server.port, mail_auto_reply_cap=10))
    # The receipt of the real ticket plus nine more reach the cap; SLA mail is not capped.
    assert counts["sent"] == 11
    with database.session() as session:
        failed = list(
            session.scalars(sa.select(Notification).where(Notification.status == "failed"))
        )
    assert len(failed) == 3 and all("MAIL_AUTO_REPLY_CAP" in n.last_error for n in failed)
