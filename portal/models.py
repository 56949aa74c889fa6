"""Server-side records of web sessions: one row per signed-in browser."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel
from kommune_ikt.core.types import UTCDateTime, utcnow


class WebSession(SQLModel, table=True):
    """A browser's sign-in. The cookie carries a random token; only its SHA-256 is stored,
    so a copy of the table signs nobody in. Deleting the row signs the browser out."""

    __tablename__ = "web_sessions"
    id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # The role and municipality the session was opened with: a change ends it.
    role: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    municipality_number: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(4), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    last_seen_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
