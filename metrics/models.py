"""Tables of this package: outages and the HTTP probes that can open them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel, table_of
from kommune_ikt.core.types import UTCDateTime, utcnow
from servicedesk.choices import OPEN_STATUSES
from servicedesk.models import Ticket
from servicedesk.sla.models import TicketSla


def _time(nullable: bool = False, index: bool = False) -> Any:
    return sa.Column(UTCDateTime, nullable=nullable, index=index)


def _service_fk() -> Any:
    # Service codes may be renamed in the catalogue; outages and probes follow.
    return sa.Column(
        sa.String(40), sa.ForeignKey("services.code", onupdate="CASCADE"), nullable=False
    )


class Outage(SQLModel, table=True):
    """A period a service was (or is) down, planned or not, for all or some municipalities."""

    __tablename__ = "outages"
    __table_args__ = (
        sa.CheckConstraint("ended_at IS NULL OR ended_at > started_at", name="ends_after_start"),
        sa.Index("ix_outages_service_started", "service_code", "started_at"),
        sa.Index("ix_outages_started_id", "started_at", "id"),
        sa.Index("ix_outages_ended_at", "ended_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_code: str = Field(sa_column=_service_fk())
    started_at: datetime = Field(sa_column=_time())
    ended_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    planned: bool = False
    # NULL: every municipality; else a JSON list of kommunenummer.
    municipalities: list[str] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(none_as_null=True))
    )
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    # The P1 incident of an unplanned outage.
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    # Set when a probe opened the outage (and so may end it).
    probe_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("probes.id", ondelete="SET NULL")),
    )
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    version: int = Field(default=1)


class Probe(SQLModel, table=True):
    """An HTTP(S) check of a service, run by the scheduler, with its running state."""

    __tablename__ = "probes"
    __table_args__ = (
        sa.CheckConstraint("interval_seconds >= 10", name="interval_min"),
        sa.CheckConstraint("failure_threshold >= 1", name="failure_threshold_min"),
        sa.CheckConstraint("recovery_threshold >= 1", name="recovery_threshold_min"),
        sa.Index("ix_probes_enabled_next_run", "enabled", "next_run_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_code: str = Field(sa_column=_service_fk())
    name: str = Field(default="", max_length=100)
    url: str = Field(max_length=2000)
    interval_seconds: int = Field(default=60)
    timeout_seconds: float = Field(default=5.0)
    expected_status: int = Field(default=200)
    body_contains: str | None = Field(default=None, max_length=500)
    # Hysteresis: this many failures in a row open an outage, this many
    # successes in a row end it; single blips in between change nothing.
    failure_threshold: int = Field(default=3)
    recovery_threshold: int = Field(default=2)
    enabled: bool = True
    # Files the P1 incident when the probe opens an outage.
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    next_run_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    last_run_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    last_ok: bool | None = None
    last_error: str | None = Field(default=None, max_length=500)
    last_latency_seconds: float | None = None
    # The first run of the current streak of equal outcomes (an outage dates from it).
    streak_started_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    consecutive_failures: int = Field(default=0)
    consecutive_successes: int = Field(default=0)
    # Cumulative, for the Prometheus counters kommune_ikt_probe_*_total.
    runs_total: int = Field(default=0)
    failures_total: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    version: int = Field(default=1)


_OPEN = ", ".join(f"'{s}'" for s in sorted(str(s) for s in OPEN_STATUSES))
# The scrape-time collector counts open tickets by queue, priority and
# municipality; this partial index answers that from the index alone.
# It belongs to the tickets table but is owned (and migrated) here.
OPEN_TICKETS_INDEX = sa.Index(
    "ix_tickets_open_metrics",
    table_of(Ticket).c.status,
    table_of(Ticket).c.queue_code,
    table_of(Ticket).c.priority,
    table_of(Ticket).c.municipality_number,
    table_of(Ticket).c.id,
    postgresql_where=sa.text(f"status IN ({_OPEN})"),
    sqlite_where=sa.text(f"status IN ({_OPEN})"),
)
# Breached SLA rows, for "open breached tickets" and compliance at scrape time.
BREACHED_SLAS_INDEX = sa.Index(
    "ix_ticket_slas_breached_metrics",
    table_of(TicketSla).c.ticket_id,
    postgresql_include=["response_breached", "resolution_breached"],
    postgresql_where=sa.text("response_breached OR resolution_breached"),
    sqlite_where=sa.text("response_breached OR resolution_breached"),
)
