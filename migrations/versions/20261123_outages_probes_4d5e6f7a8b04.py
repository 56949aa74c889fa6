"""outages, probes and availability

Revision ID: 4d5e6f7a8b04
Revises: 3c4d5e6f7a03
Create Date: 2026-11-23 17:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4d5e6f7a8b04"
down_revision: str | None = "3c4d5e6f7a03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def _service_code() -> sa.Column:
    return sa.Column("service_code", sa.String(length=40), nullable=False)


def _service_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["service_code"],
        ["services.code"],
        name=op.f(f"fk_{table}_service_code_services"),
        onupdate="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "probes",
        sa.Column("id", sa.Integer(), nullable=False),
        _service_code(),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("expected_status", sa.Integer(), nullable=False),
        sa.Column("body_contains", sa.String(length=500), nullable=True),
        sa.Column("failure_threshold", sa.Integer(), nullable=False),
        sa.Column("recovery_threshold", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("next_run_at", UTC, nullable=True),
        sa.Column("last_run_at", UTC, nullable=True),
        sa.Column("last_ok", sa.Boolean(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_latency_seconds", sa.Float(), nullable=True),
        sa.Column("streak_started_at", UTC, nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("consecutive_successes", sa.Integer(), nullable=False),
        sa.Column("runs_total", sa.Integer(), nullable=False),
        sa.Column("failures_total", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("failure_threshold >= 1", name=op.f("ck_probes_failure_threshold_min")),
        sa.CheckConstraint("interval_seconds >= 10", name=op.f("ck_probes_interval_min")),
        sa.CheckConstraint(
            "recovery_threshold >= 1", name=op.f("ck_probes_recovery_threshold_min")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_probes_created_by_id_users")
        ),
        _service_fk("probes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probes")),
    )
    op.create_index("ix_probes_enabled_next_run", "probes", ["enabled", "next_run_at"])

    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), nullable=False),
        _service_code(),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("municipalities", sa.JSON(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("probe_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at > started_at", name=op.f("ck_outages_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_outages_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["probe_id"],
            ["probes.id"],
            name=op.f("fk_outages_probe_id_probes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_outages_ticket_id_tickets")
        ),
        _service_fk("outages"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outages")),
    )
    op.create_index("ix_outages_ended_at", "outages", ["ended_at"])
    op.create_index("ix_outages_service_started", "outages", ["service_code", "started_at"])
    op.create_index("ix_outages_started_id", "outages", ["started_at", "id"])
    op.create_index(op.f("ix_outages_ticket_id"), "outages", ["ticket_id"])
    # For /metrics: open tickets by queue, priority and municipality, index-only.
    open_statuses = sa.text("status IN ('assigned', 'in_progress', 'new', 'pending')")
    op.create_index(
        "ix_tickets_open_metrics",
        "tickets",
        ["status", "queue_code", "priority", "municipality_number", "id"],
        postgresql_where=open_statuses,
        sqlite_where=open_statuses,
    )
    breached = sa.text("response_breached OR resolution_breached")
    op.create_index(
        "ix_ticket_slas_breached_metrics",
        "ticket_slas",
        ["ticket_id"],
        postgresql_include=["response_breached", "resolution_breached"],
        postgresql_where=breached,
        sqlite_where=breached,
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_slas_breached_metrics", table_name="ticket_slas")
    op.drop_index("ix_tickets_open_metrics", table_name="tickets")
    op.drop_table("outages")
    op.drop_table("probes")
