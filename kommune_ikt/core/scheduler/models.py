"""Scheduler tables: the lease that elects the active scheduler, and the record of job runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel
from kommune_ikt.core.types import UTCDateTime, utcnow


class SchedulerLease(SQLModel, table=True):
    """Who is the active scheduler, until when.

    On SQLite this row is the lock: a standby takes it over once ``expires_at``
    has passed. On PostgreSQL the lock is a session advisory lock and this row
    only shows who holds it.
    """

    __tablename__ = "scheduler_leases"

    name: str = Field(primary_key=True, max_length=50)
    holder: str = Field(max_length=200)
    acquired_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    renewed_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class JobRun(SQLModel, table=True):
    """One run of one scheduled job: when, by which scheduler, and how it ended."""

    __tablename__ = "job_runs"
    __table_args__ = (sa.Index("ix_job_runs_job_id_started_at", "job_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=100)
    holder: str = Field(max_length=200)
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False, index=True)
    )
    ended_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    # "running", "ok" or "error".
    outcome: str = Field(default="running", max_length=20)
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    # What the job reports about its run (counts), JSON.
    detail: Any = Field(default=None, sa_column=sa.Column(sa.JSON(none_as_null=True)))
