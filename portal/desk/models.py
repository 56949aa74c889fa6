"""Tables of the agent's workspace: saved ticket views and who last opened a ticket."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel
from kommune_ikt.core.types import UTCDateTime, utcnow


class SavedView(SQLModel, table=True):
    """A named ticket filter (the desk's query string) an agent keeps; ``shared`` shows it
    to the whole IT unit, otherwise only its owner sees it."""

    __tablename__ = "saved_views"
    __table_args__ = (sa.Index("ix_saved_views_owner_id", "owner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    # The filters as a URL query string, e.g. "municipality=1505&priority=1".
    query: str = Field(sa_column=sa.Column(sa.String(1000), nullable=False))
    owner_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        )
    )
    shared: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )


class TicketView(SQLModel, table=True):
    """When an IT user last opened a ticket's desk page (written at most once a minute),
    so another agent can be told that a colleague has the ticket open."""

    __tablename__ = "ticket_views"

    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        )
    )
    ticket_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        )
    )
    seen_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
