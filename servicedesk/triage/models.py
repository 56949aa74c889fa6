"""The triage table: one row per trained model, its figures, and its pickled bytes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel
from kommune_ikt.core.types import UTCDateTime, utcnow


class TriageModelRow(SQLModel, table=True):
    """A model learned from resolved tickets; at most one is ``active`` (the current one).

    ``blob`` is a pickle of ``features.TriageModel`` written by training.py and
    only ever read back from this table (never from a file or a request);
    ``sha256`` guards it against a truncated or damaged row.
    """

    __tablename__ = "triage_models"
    __table_args__ = (
        sa.Index(
            "uq_triage_models_one_active",
            "active",
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        ),
    )

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    trained_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    trained_by: int | None = Field(default=None, foreign_key="users.id")
    samples: int
    # The creation times of the oldest and newest ticket it learned from.
    window_from: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    window_to: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    # {field: {accuracy, threshold, precision_at_threshold, coverage_at_threshold, ...}}
    figures: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    active: bool = Field(default=False)
    sha256: str = Field(max_length=64)
    blob: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
