"""SLA tables: calendars, policy sets and their change log, per-ticket SLA state, events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel
from kommune_ikt.core.types import UTCDateTime, utcnow


def _time(nullable: bool = False) -> Any:
    return sa.Column(UTCDateTime, nullable=nullable)


def _json(nullable: bool = False) -> Any:
    return sa.Column(sa.JSON, nullable=nullable)


class SlaCalendar(SQLModel, table=True):
    """Opening hours in a time zone, public holidays by country, extra closed dates."""

    __tablename__ = "sla_calendars"

    name: str = Field(primary_key=True, max_length=50)
    timezone: str = Field(max_length=64)
    # {"mon": [["08:00", "15:30"]], ...}; a missing weekday is closed.
    hours: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    holiday_country: str | None = Field(default=None, max_length=2)
    holiday_subdivision: str | None = Field(default=None, max_length=40)
    extra_closed_dates: list[str] = Field(default_factory=list, sa_column=_json())
    # {"2026-12-24": [["08:00", "12:00"]]}: a date's own ranges instead of its weekday's.
    special_hours: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    # [{"rule": "12-24", "closed_from": "12:00"}, {"rule": "easter-4", ...}]: every year.
    closures: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json())
    # Built-ins cannot be deleted; 24x7 cannot be changed either.
    builtin: bool = Field(default=False)
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_time())

    def document(self) -> dict[str, Any]:
        """The calendar as the document ``calendars.spec_of`` reads."""
        return {
            "timezone": self.timezone,
            "hours": self.hours,
            "holiday_country": self.holiday_country,
            "holiday_subdivision": self.holiday_subdivision,
            "extra_closed_dates": self.extra_closed_dates,
            "special_hours": self.special_hours,
            "closures": self.closures,
        }


class SlaPolicySet(SQLModel, table=True):
    """A named set of per-priority targets; municipalities pick one (``default`` always exists)."""

    __tablename__ = "sla_policy_sets"

    name: str = Field(primary_key=True, max_length=50)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class SlaPolicy(SQLModel, table=True):
    """Targets for one priority within a set, on one calendar."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        sa.CheckConstraint("priority BETWEEN 1 AND 4", name="priority_range"),
        sa.CheckConstraint("response_minutes > 0", name="response_positive"),
        sa.CheckConstraint("resolution_minutes > 0", name="resolution_positive"),
    )

    set_name: str = Field(
        sa_column=sa.Column(
            sa.String(50),
            sa.ForeignKey("sla_policy_sets.name", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    priority: int = Field(primary_key=True)
    response_minutes: int
    resolution_minutes: int
    calendar: str = Field(foreign_key="sla_calendars.name", max_length=50)


class SlaPolicyChange(SQLModel, table=True):
    """Every change of a policy set (and every re-application to open tickets), for audit."""

    __tablename__ = "sla_policy_changes"
    __table_args__ = (sa.Index("ix_sla_policy_changes_set_at", "set_name", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    set_name: str = Field(max_length=50)
    at: datetime = Field(default_factory=utcnow, sa_column=_time())
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    # "created", "updated" or "reapplied".
    action: str = Field(max_length=20)
    old: Any = Field(default=None, sa_column=sa.Column(sa.JSON(none_as_null=True)))
    new: Any = Field(default=None, sa_column=sa.Column(sa.JSON(none_as_null=True)))
    tickets_affected: int = Field(default=0)


class TicketSla(SQLModel, table=True):
    """A ticket's SLA: the targets it was given, and the next escalation instants.

    ``policy`` is the snapshot of the set's four priorities taken when the ticket
    was created (or an admin re-applied the set), so a later policy change does
    not move an open ticket's targets and a priority change uses the same set.
    The ``*_warn_at`` / ``*_breach_at`` columns are the sweep's triggers: the
    instant the clock reaches 75 % / 100 % of the target, set while that can
    still happen and cleared once the event is recorded. The ``sla`` shown in
    responses is derived from the ticket's history at request time, not read
    from here.
    """

    __tablename__ = "ticket_slas"
    # Partial indexes: only armed triggers (and stale rows) are in them, so they
    # stay small and consuming a trigger removes the row from its index.
    __table_args__ = (
        *(
            sa.Index(
                f"ix_ticket_slas_{column}",
                column,
                postgresql_where=sa.text(f"{column} IS NOT NULL"),
                sqlite_where=sa.text(f"{column} IS NOT NULL"),
            )
            for column in (
                "response_warn_at",
                "response_breach_at",
                "resolution_warn_at",
                "resolution_breach_at",
            )
        ),
        sa.Index(
            "ix_ticket_slas_stale",
            "stale",
            postgresql_where=sa.text("stale"),
            sqlite_where=sa.text("stale"),
        ),
    )

    ticket_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
        )
    )
    policy_set: str = Field(max_length=50)
    # {"1": {"response_minutes": 15, "resolution_minutes": 120, "calendar": "business"}, ...}
    policy: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    priority: int
    calendar: str = Field(max_length=50)
    response_minutes: int
    resolution_minutes: int
    response_warn_at: datetime | None = Field(default=None, sa_column=_time(True))
    response_breach_at: datetime | None = Field(default=None, sa_column=_time(True))
    resolution_warn_at: datetime | None = Field(default=None, sa_column=_time(True))
    resolution_breach_at: datetime | None = Field(default=None, sa_column=_time(True))
    # Set by the sweep when it has recorded the event (each at most once).
    response_warned: bool = Field(default=False)
    response_breached: bool = Field(default=False)
    resolution_warned: bool = Field(default=False)
    resolution_breached: bool = Field(default=False)
    # A calendar edit marks the tickets on it; the sweep recomputes them first.
    stale: bool = Field(default=False)
    computed_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class SlaEvent(SQLModel, table=True):
    """A warning (75 %) or breach (100 %) of a ticket's response or resolution target."""

    __tablename__ = "sla_events"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "target", "kind"),
        sa.Index("ix_sla_events_recorded_at", "recorded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        )
    )
    # "response" or "resolution"; "warning" or "breach".
    target: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    # When the clock reached the threshold, and when the sweep noticed.
    at: datetime = Field(sa_column=_time())
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    priority: int
    municipality_number: str = Field(max_length=4)
    queue_code: str = Field(max_length=40)
