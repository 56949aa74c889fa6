"""A real local SMTP server (aiosmtpd) and a database of its own for the sender's commits."""

from __future__ import annotations

import email
import socket
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import Database, create_db_engine
from notifications.models import Notification
from notifications.services import enqueue


@dataclass
class Handler:
    messages: list[Message] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture
def outbox(fresh_database):
    """A migrated database with real commits, and helpers around the outbox."""
    engine = create_db_engine(fresh_database)
    database = Database(engine)
    yield Outbox(database)
    engine.dispose()


@dataclass
class Outbox:
    database: Database

    def add(self, count: int = 1, event: str = "ticket_created", **context: Any) -> None:
        with self.database.session() as session, session.begin():
            for i in range(count):
                enqueue(
                    session,
                    event,
                    f"innbygger{i}@kristiansund.kommune.no",
                    {
                        "number": f"INC-2026-{i + 1:06d}",
                        "title": "Skriver",
                        "priority": 3,
                        **context,
                    },
                )

    def rows(self) -> list[Notification]:
        with self.database.session() as session:
            return list(session.scalars(sa.select(Notification).order_by(Notification.id)))


def smtp_settings(port: int | None, **kw: Any) -> Settings:
    return Settings(
        database_url="unused",
        smtp_host="127.0.0.1" if port else None,
        smtp_port=port or 25,
        smtp_sender="servicedesk@orkide.example",
        **kw,
    )
