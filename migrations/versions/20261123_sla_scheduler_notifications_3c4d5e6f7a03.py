"""SLA calendars and policies, scheduler leases and job runs, notification outbox

Revision ID: 3c4d5e6f7a03
Revises: 2b3c4d5e6f02
Create Date: 2026-11-23 17:00:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "3c4d5e6f7a03"
down_revision: str | None = "2b3c4d5e6f02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The sweep's trigger columns on ticket_slas, each with a partial index.
TRIGGER_COLUMNS = (
    "response_warn_at",
    "response_breach_at",
    "resolution_warn_at",
    "resolution_breach_at",
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Built-in calendars. ``business`` is the servicedesk's opening hours in the
# collaborations we know (ROR-IKT, IKT Nordhordland, K-IKT: 08:00-15:30 on
# working days), with Norwegian public holidays closed; admins may edit it.
CALENDARS: list[dict[str, Any]] = [
    {
        "name": "business",
        "timezone": "Europe/Oslo",
        "hours": {day: [["08:00", "15:30"]] for day in WEEKDAYS[:5]},
        "holiday_country": "NO",
        "holiday_subdivision": None,
        "extra_closed_dates": [],
        "special_hours": {},
        "builtin": True,
        "version": 1,
    },
    {
        "name": "24x7",
        "timezone": "UTC",
        "hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS},
        "holiday_country": None,
        "holiday_subdivision": None,
        "extra_closed_dates": [],
        "special_hours": {},
        "builtin": True,
        "version": 1,
    },
]
# The ``default`` set. P1 and P2 are ROR-IKT's published targets (critical
# 15 min / 2 h, high 1 h / 4 h; kommune_ikt/data/sla_priorities.csv). P3 and P4
# are ours (no collaboration publishes them): P3 response within half a working
# day and resolution within 2 working days (2 × 7.5 h); P4 response within a
# working day and resolution within 5 working days. All on business hours.
DEFAULT_POLICIES = [
    (1, 15, 120),
    (2, 60, 240),
    (3, 225, 900),
    (4, 450, 2250),
]


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_job_runs_job_id_started_at", ["job_id", "started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_job_runs_started_at"), ["started_at"], unique=False)

    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )
    op.create_table(
        "sla_calendars",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("holiday_country", sa.String(length=2), nullable=True),
        sa.Column("holiday_subdivision", sa.String(length=40), nullable=True),
        sa.Column("extra_closed_dates", sa.JSON(), nullable=False),
        sa.Column("special_hours", sa.JSON(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sla_calendars")),
    )
    op.create_table(
        "sla_policy_sets",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sla_policy_sets")),
    )
    op.create_table(
        "sla_policies",
        sa.Column("set_name", sa.String(length=50), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column("calendar", sa.String(length=50), nullable=False),
        sa.CheckConstraint("priority BETWEEN 1 AND 4", name=op.f("ck_sla_policies_priority_range")),
        sa.CheckConstraint(
            "resolution_minutes > 0", name=op.f("ck_sla_policies_resolution_positive")
        ),
        sa.CheckConstraint("response_minutes > 0", name=op.f("ck_sla_policies_response_positive")),
        sa.ForeignKeyConstraint(
            ["calendar"],
            ["sla_calendars.name"],
            name=op.f("fk_sla_policies_calendar_sla_calendars"),
        ),
        sa.ForeignKeyConstraint(
            ["set_name"],
            ["sla_policy_sets.name"],
            name=op.f("fk_sla_policies_set_name_sla_policy_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("set_name", "priority", name=op.f("pk_sla_policies")),
    )
    op.create_table(
        "sla_policy_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_name", sa.String(length=50), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("old", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("new", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("tickets_affected", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_sla_policy_changes_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policy_changes")),
    )
    with op.batch_alter_table("sla_policy_changes", schema=None) as batch_op:
        batch_op.create_index("ix_sla_policy_changes_set_at", ["set_name", "at"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_notifications_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_notifications_status_next_attempt", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notifications_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "sla_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("municipality_number", sa.String(length=4), nullable=False),
        sa.Column("queue_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_sla_events_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_events")),
        sa.UniqueConstraint(
            "ticket_id", "target", "kind", name=op.f("uq_sla_events_ticket_id_target_kind")
        ),
    )
    with op.batch_alter_table("sla_events", schema=None) as batch_op:
        batch_op.create_index("ix_sla_events_recorded_at", ["recorded_at"], unique=False)

    op.create_table(
        "ticket_slas",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("policy_set", sa.String(length=50), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("calendar", sa.String(length=50), nullable=False),
        sa.Column("response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column("response_warn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_breach_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_warn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_breach_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_warned", sa.Boolean(), nullable=False),
        sa.Column("response_breached", sa.Boolean(), nullable=False),
        sa.Column("resolution_warned", sa.Boolean(), nullable=False),
        sa.Column("resolution_breached", sa.Boolean(), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_slas_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_slas")),
    )
    with op.batch_alter_table("ticket_slas", schema=None) as batch_op:
        for column in TRIGGER_COLUMNS:
            batch_op.create_index(
                f"ix_ticket_slas_{column}",
                [column],
                unique=False,
                postgresql_where=sa.text(f"{column} IS NOT NULL"),
                sqlite_where=sa.text(f"{column} IS NOT NULL"),
            )
        batch_op.create_index(
            "ix_ticket_slas_stale",
            ["stale"],
            unique=False,
            postgresql_where=sa.text("stale"),
            sqlite_where=sa.text("stale"),
        )

    now = datetime.now(UTC)
    calendars = sa.table(
        "sla_calendars",
        sa.column("name", sa.String),
        sa.column("timezone", sa.String),
        sa.column("hours", sa.JSON),
        sa.column("holiday_country", sa.String),
        sa.column("holiday_subdivision", sa.String),
        sa.column("extra_closed_dates", sa.JSON),
        sa.column("special_hours", sa.JSON),
        sa.column("builtin", sa.Boolean),
        sa.column("version", sa.Integer),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(calendars, [{**c, "updated_at": now} for c in CALENDARS])
    sets = sa.table(
        "sla_policy_sets",
        sa.column("name", sa.String),
        sa.column("version", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(sets, [{"name": "default", "version": 1, "created_at": now, "updated_at": now}])
    policies = sa.table(
        "sla_policies",
        sa.column("set_name", sa.String),
        sa.column("priority", sa.Integer),
        sa.column("response_minutes", sa.Integer),
        sa.column("resolution_minutes", sa.Integer),
        sa.column("calendar", sa.String),
    )
    op.bulk_insert(
        policies,
        [
            {
                "set_name": "default",
                "priority": priority,
                "response_minutes": response,
                "resolution_minutes": resolution,
                "calendar": "business",
            }
            for priority, response, resolution in DEFAULT_POLICIES
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("ticket_slas", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_slas_stale")
        for column in TRIGGER_COLUMNS:
            batch_op.drop_index(f"ix_ticket_slas_{column}")

    op.drop_table("ticket_slas")
    with op.batch_alter_table("sla_events", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_events_recorded_at")

    op.drop_table("sla_events")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_ticket_id"))
        batch_op.drop_index("ix_notifications_status_next_attempt")
        batch_op.drop_index("ix_notifications_created_at_id")

    op.drop_table("notifications")
    with op.batch_alter_table("sla_policy_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_policy_changes_set_at")

    op.drop_table("sla_policy_changes")
    op.drop_table("sla_policies")
    op.drop_table("sla_policy_sets")
    op.drop_table("sla_calendars")
    op.drop_table("scheduler_leases")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_runs_started_at"))
        batch_op.drop_index("ix_job_runs_job_id_started_at")

    op.drop_table("job_runs")
