"""Users and their bearer tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel
from kommune_ikt.core.types import UTCDateTime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=sa.Column(sa.String(254), nullable=False, unique=True))
    name: str = Field(default="", max_length=200)
    role: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    municipality_number: str | None = Field(
        default=None, foreign_key="municipalities.number", max_length=4, index=True
    )
    active: bool = Field(default=True)
    # Agents mark themselves unavailable (holiday, sick) to stop auto-assignment.
    available: bool = Field(default=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    # nb, nn, sv or en; None: the browser's Accept-Language, then DEFAULT_LANGUAGE.
    language: str | None = Field(default=None, sa_column=sa.Column(sa.String(8)))
    # When the user last authenticated (to the minute, like a token's last_used_at).
    last_seen_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(default="", max_length=100)
    # sha256 of the token; the token itself is shown once and never stored.
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    # The first characters, so an admin can tell tokens apart in a list.
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    last_used_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    revoked_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
