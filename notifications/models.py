"""The notification outbox: one row per e-mail, written in the transaction of its event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel
from kommune_ikt.core.types import UTCDateTime, utcnow


class Notification(SQLModel, table=True):
    """An e-mail to send (``pending``), being sent (``sending``), ``sent`` or ``failed``.

    The text is rendered when sent, from ``event`` and ``context`` in ``language``
    (the configured default when null), and kept in ``subject``/``body`` then.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_status_next_attempt", "status", "next_attempt_at"),
        sa.Index("ix_notifications_created_at_id", "created_at", "id"),
        # A reply to a sent mail is matched by its Message-ID (servicedesk/mail).
        sa.Index("ix_notifications_message_id", "message_id"),
        # The daily cap on automatic mails to one address counts by recipient.
        sa.Index("ix_notifications_recipient_sent_at", "recipient", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=40)
    recipient: str = Field(max_length=254)
    language: str | None = Field(default=None, max_length=5)
    context: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    ticket_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True
        ),
    )
    status: str = Field(default="pending", max_length=20)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    subject: str | None = Field(default=None, max_length=300)
    body: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    message_id: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    claimed_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    sent_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
