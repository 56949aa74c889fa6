"""Portable SQL for instants as epoch seconds, so durations can be summed inside the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from kommune_ikt.core.types import UTCDateTime


def epoch_seconds(column: Any, dialect: str) -> ColumnElement[float]:
    """Seconds since 1970 of a ``UTCDateTime`` column (SQLite stores naive UTC text)."""
    if dialect == "sqlite":
        return (sa.func.julianday(column) - 2440587.5) * 86400.0
    return sa.extract("epoch", column)  # type: ignore[return-value]  # typed int; epoch has fractions


def literal_time(value: datetime) -> ColumnElement[datetime]:
    """A bound instant typed like our columns (naive UTC on SQLite, timestamptz on PostgreSQL)."""
    return sa.literal(value, UTCDateTime())


def least(dialect: str, *args: Any) -> ColumnElement[Any]:
    return sa.func.min(*args) if dialect == "sqlite" else sa.func.least(*args)


def greatest(dialect: str, *args: Any) -> ColumnElement[Any]:
    return sa.func.max(*args) if dialect == "sqlite" else sa.func.greatest(*args)
