"""Mail out: what a local SMTP server received, the sender's settings, the outbox's rows."""

from __future__ import annotations

import email
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import sqlalchemy as sa

from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import Database
from notifications.models import Notification
from notifications.services import enqueue


@dataclass
class Handler:
    """An aiosmtpd handler that keeps what it is sent and refuses the addresses in ``refuse``."""

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


def smtp_settings(port: int | None, **kw: Any) -> Settings:
    return Settings(
        database_url="unused",
        smtp_host="127.0.0.1" if port else None,
        smtp_port=port or 25,
        smtp_sender="servicedesk@orkide.example",
        **kw,
    )


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
