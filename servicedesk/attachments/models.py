"""Attachment tables: one row per attached file, one per distinct content (SHA-256)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel
from kommune_ikt.core.types import UTCDateTime, utcnow


class AttachmentBlob(SQLModel, table=True):
    """One distinct content, by its SHA-256: the same file attached twice is stored once.

    Every blob has a row here whatever the store: the row is what an attachment
    references and what the garbage collector locks and deletes. With the
    ``database`` store ``data`` holds the bytes; with the ``local`` store it is
    null and the bytes are a file named by the hash.
    """

    __tablename__ = "attachment_blobs"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    data: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )


class Attachment(SQLModel, table=True):
    """A file attached to a ticket, or to one of its comments (then ``internal`` follows it)."""

    __tablename__ = "attachments"
    __table_args__ = (
        # A ticket's attachments are listed by (ticket_id, id): one index range.
        sa.Index("ix_attachments_ticket_id_id", "ticket_id", "id"),
        # The garbage collector asks whether any attachment still names a blob.
        sa.Index("ix_attachments_sha256", "sha256"),
        sa.CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        )
    )
    comment_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("ticket_comments.id", ondelete="CASCADE"), nullable=True
        ),
    )
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=255)
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    sha256: str = Field(
        sa_column=sa.Column(sa.String(64), sa.ForeignKey("attachment_blobs.sha256"), nullable=False)
    )
    internal: bool = Field(default=False)
    # Null only for the system (no user behind it).
    uploaded_by: int | None = Field(default=None, foreign_key="users.id")
    uploaded_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
