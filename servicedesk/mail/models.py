"""Every received mail, once: its Message-ID, what became of it, and the quarantine."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel
from kommune_ikt.core.types import UTCDateTime, utcnow

# What became of a mail. ``quarantined`` waits for an agent, who accepts it
# (a ticket is created: ``accepted``) or rejects it (``rejected``).
TICKET, COMMENT, AUTOMATIC = "ticket", "comment", "automatic"
QUARANTINED, ACCEPTED, REJECTED = "quarantined", "accepted", "rejected"
OUTCOMES = (TICKET, COMMENT, AUTOMATIC, QUARANTINED, ACCEPTED, REJECTED)


class MailMessage(SQLModel, table=True):
    """One received mail, recorded in the transaction of its effect (exactly once).

    ``message_id`` is unique: a mail seen again (a crash between the commit and
    the IMAP move, a copy in two folders) finds its row and changes nothing.
    A quarantined mail keeps its raw bytes (unless it was too large to fetch)
    so that an agent may accept it later.
    """

    __tablename__ = "mail_messages"
    __table_args__ = (
        sa.Index("ix_mail_messages_outcome_received", "outcome", "received_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(sa_column=sa.Column(sa.String(500), nullable=False, unique=True))
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    sender: str | None = Field(default=None, max_length=254)
    subject: str | None = Field(default=None, max_length=300)
    size: int | None = Field(default=None)
    outcome: str = Field(max_length=20)
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    ticket_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True
        ),
    )
    comment_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("ticket_comments.id", ondelete="SET NULL")),
    )
    raw: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary))
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
