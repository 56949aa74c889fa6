"""Servicedesk tables: queues, routing rules, tickets, comments, history and number counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel, table_of
from kommune_ikt.core.types import UTCDateTime, utcnow


def _now_column(nullable: bool = False) -> Any:
    return sa.Column(UTCDateTime, nullable=nullable)


def _queue_fk(nullable: bool = False) -> Any:
    # Queue codes may be renamed (PATCH /queues/{code}); the rename follows
    # into every ticket and rule instead of being refused.
    return sa.Column(
        sa.String(40),
        sa.ForeignKey("queues.code", onupdate="CASCADE"),
        nullable=nullable,
    )


class Queue(SQLModel, table=True):
    """A work queue; exactly one is the default for tickets no routing rule claims."""

    __tablename__ = "queues"
    __table_args__ = (
        # At most one default; the services keep it at exactly one.
        sa.Index(
            "uq_queues_one_default",
            "is_default",
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        ),
    )

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    sector: str | None = Field(default=None, max_length=100)
    auto_assign: bool = Field(default=False)
    is_default: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_now_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_now_column())


class QueueAgent(SQLModel, table=True):
    """An agent who works a queue; ``last_assigned_at`` breaks ties in auto-assignment."""

    __tablename__ = "queue_agents"

    queue_code: str = Field(
        sa_column=sa.Column(
            sa.String(40),
            sa.ForeignKey("queues.code", onupdate="CASCADE", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    last_assigned_at: datetime | None = Field(default=None, sa_column=_now_column(True))


class AgentLoad(SQLModel, table=True):
    """Each assignee's open tickets (new, assigned, in progress, pending), kept by
    triggers on ``tickets`` in the changing transaction, so the auto-assignment pick
    reads a number instead of counting (migration 6f7a8b9c0d06)."""

    __tablename__ = "agent_loads"

    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        )
    )
    open_tickets: int = Field(default=0)


class RoutingRule(SQLModel, table=True):
    """Tried by ``position`` (then id); the first whose ``match`` fits a ticket picks its queue."""

    __tablename__ = "routing_rules"

    id: int | None = Field(default=None, primary_key=True)
    position: int = Field(index=True)
    name: str = Field(default="", max_length=200)
    # Any of service_code, category, municipality, type, priority, keywords;
    # every criterion given must hold (keywords: any one of them).
    match: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    queue_code: str = Field(sa_column=_queue_fk())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_now_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_now_column())


class TicketCounter(SQLModel, table=True):
    """The last number handed out per ticket type and year (locked by the creating transaction)."""

    __tablename__ = "ticket_counters"

    type: str = Field(primary_key=True, max_length=20)
    year: int = Field(primary_key=True)
    last: int = Field(default=0)


class Ticket(SQLModel, table=True):
    """An incident or a service request from a member municipality."""

    __tablename__ = "tickets"
    __table_args__ = (
        sa.CheckConstraint("impact BETWEEN 1 AND 3", name="impact_range"),
        sa.CheckConstraint("urgency BETWEEN 1 AND 3", name="urgency_range"),
        sa.CheckConstraint("priority BETWEEN 1 AND 4", name="priority_range"),
        # Keyset pagination walks (created_at, id) descending, alone or after a filter.
        sa.Index("ix_tickets_created_at_id", "created_at", "id"),
        sa.Index("ix_tickets_queue_status_created", "queue_code", "status", "created_at", "id"),
        sa.Index("ix_tickets_status_created", "status", "created_at", "id"),
        sa.Index("ix_tickets_municipality_created", "municipality_number", "created_at", "id"),
        sa.Index("ix_tickets_requester_created", "requester_id", "created_at", "id"),
        sa.Index("ix_tickets_assignee_status", "assignee_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(sa_column=sa.Column(sa.String(20), nullable=False, unique=True))
    type: str = Field(max_length=20)
    title: str = Field(max_length=200)
    description: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    municipality_number: str = Field(foreign_key="municipalities.number", max_length=4)
    requester_id: int = Field(foreign_key="users.id")
    service_code: str | None = Field(default=None, foreign_key="services.code", max_length=40)
    category: str | None = Field(default=None, max_length=100)
    impact: int
    urgency: int
    priority: int
    status: str = Field(max_length=20)
    queue_code: str = Field(sa_column=_queue_fk())
    assignee_id: int | None = Field(default=None, foreign_key="users.id")
    resolution: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    # How it came in: api, web, email, phone, order, outage.
    source: str = Field(
        default="api", sa_column=sa.Column(sa.String(20), nullable=False, server_default="api")
    )
    # Facts the SLA clocks start from; the history holds the same instants.
    responded_at: datetime | None = Field(default=None, sa_column=_now_column(True))
    resolved_at: datetime | None = Field(default=None, sa_column=_now_column(True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_now_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_now_column())
    # Counts changes to the ticket row; the ETag is derived from it.
    version: int = Field(default=1)


# The full-text document is written and read only by SQL (servicedesk/search.py),
# never loaded into Python, so it is a table column the ORM does not map.
# PostgreSQL: a tsvector with a GIN index. SQLite keeps the column empty and
# searches the FTS5 table ``ticket_fts`` (created by the migration) instead.
SEARCH_DOCUMENT = sa.Column(
    "search_document", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=True
)
table_of(Ticket).append_column(SEARCH_DOCUMENT)
sa.Index(
    "ix_tickets_search_document",
    SEARCH_DOCUMENT,
    postgresql_using="gin",
    sqlite_where=sa.text("search_document IS NOT NULL"),
)


class TicketComment(SQLModel, table=True):
    """A public or internal comment; internal ones are never shown to municipal roles."""

    __tablename__ = "ticket_comments"
    __table_args__ = (sa.Index("ix_ticket_comments_ticket_created", "ticket_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    author_id: int | None = Field(default=None, foreign_key="users.id")
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    internal: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_now_column())


class TicketHistory(SQLModel, table=True):
    """One change of one field (or one comment), written with the change; append-only."""

    __tablename__ = "ticket_history"
    __table_args__ = (sa.Index("ix_ticket_history_ticket_id_id", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    at: datetime = Field(sa_column=_now_column())
    # Null for the system (routing, auto-assignment, jobs).
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    field: str = Field(max_length=50)
    old: Any = Field(default=None, sa_column=sa.Column(sa.JSON(none_as_null=True)))
    new: Any = Field(default=None, sa_column=sa.Column(sa.JSON(none_as_null=True)))
    # Entries about internal comments are hidden from municipal roles.
    internal: bool = Field(default=False)
