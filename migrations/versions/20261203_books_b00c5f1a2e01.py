"""books: populations per year, closed budget years, participants, subscription edits

Populations are held per year (``municipality_populations``; the figure each
municipality has today is kept as its year's row), a weighted allocation key
may name the population year it uses (``allocation_keys.population_year``;
null: the year before the budget year), a closed budget year keeps its cost
reports frozen (``budget_years``, ``frozen_cost_reports``), a basic service may
be shared by some members only (``service_participants``), and every change of
a subscription is kept with who and when (``subscription_edits``).

Revision ID: b00c5f1a2e01
Revises: c4e1a9b7d203
Create Date: 2026-12-03 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b00c5f1a2e01"
down_revision: str | None = "c4e1a9b7d203"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "municipality_populations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_number", sa.String(length=4), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_number"],
            ["municipalities.number"],
            name=op.f("fk_municipality_populations_municipality_number_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipality_populations")),
        sa.UniqueConstraint(
            "municipality_number",
            "year",
            name=op.f("uq_municipality_populations_municipality_number_year"),
        ),
    )
    op.execute(
        "INSERT INTO municipality_populations "
        "(municipality_number, year, population, source, updated_at) "
        "SELECT number, population_year, population, 'municipalities.population', updated_at "
        "FROM municipalities"
    )
    with op.batch_alter_table("allocation_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("population_year", sa.Integer(), nullable=True))
    op.create_table(
        "service_participants",
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("municipality_number", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_number"],
            ["municipalities.number"],
            name=op.f("fk_service_participants_municipality_number_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["services.code"],
            name=op.f("fk_service_participants_service_code_services"),
        ),
        sa.PrimaryKeyConstraint(
            "service_code", "year", "municipality_number", name=op.f("pk_service_participants")
        ),
    )
    op.create_table(
        "budget_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("closed_at", UTC, nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("allocation_keys", sa.JSON(), nullable=False),
        sa.Column("population_years", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_budget_years_closed_by_users")
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_budget_years")),
    )
    op.create_table(
        "frozen_cost_reports",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=4), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["year"], ["budget_years.year"], name=op.f("fk_frozen_cost_reports_year_budget_years")
        ),
        sa.PrimaryKeyConstraint("year", "scope", name=op.f("pk_frozen_cost_reports")),
    )
    op.create_table(
        "subscription_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("old_value", sa.String(length=40), nullable=True),
        sa.Column("new_value", sa.String(length=40), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["users.id"], name=op.f("fk_subscription_edits_changed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_subscription_edits_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_edits_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_edits")),
    )
    with op.batch_alter_table("subscription_edits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscription_edits_subscription_id"), ["subscription_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription_edits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_edits_subscription_id"))
    op.drop_table("subscription_edits")
    op.drop_table("frozen_cost_reports")
    op.drop_table("budget_years")
    op.drop_table("service_participants")
    with op.batch_alter_table("allocation_keys", schema=None) as batch_op:
        batch_op.drop_column("population_year")
    op.drop_table("municipality_populations")
