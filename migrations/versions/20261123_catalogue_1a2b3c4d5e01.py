"""service catalogue: services, prices, allocation keys, orders, subscriptions, special requests

Revision ID: 1a2b3c4d5e01
Revises: 059a47a623de
Create Date: 2026-11-23 17:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1a2b3c4d5e01"
down_revision: str | None = "059a47a623de"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allocation_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("equal_weight", sa.String(length=40), nullable=True),
        sa.Column("population_weight", sa.String(length=40), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_allocation_keys_name")),
    )
    with op.batch_alter_table("allocation_keys", schema=None) as batch_op:
        batch_op.create_index(
            "uq_allocation_keys_is_default",
            ["is_default"],
            unique=True,
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default = 1"),
        )

    op.create_table(
        "services",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("availability_target", sa.String(length=40), nullable=True),
        sa.Column("service_hours", sa.String(length=16), nullable=False),
        sa.Column("owner_team", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "service_hours IN ('business', 'extended', '24x7')",
            name=op.f("ck_services_service_hours"),
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'active', 'retired')", name=op.f("ck_services_status")
        ),
        sa.CheckConstraint(
            "tier IN ('basic', 'optional', 'special')", name=op.f("ck_services_tier")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_services")),
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_services_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_services_tier"), ["tier"], unique=False)

    op.create_table(
        "allocation_key_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("municipality_number", sa.String(length=4), nullable=False),
        sa.Column("share", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["allocation_keys.id"],
            name=op.f("fk_allocation_key_shares_key_id_allocation_keys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_number"],
            ["municipalities.number"],
            name=op.f("fk_allocation_key_shares_municipality_number_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_key_shares")),
        sa.UniqueConstraint(
            "key_id",
            "municipality_number",
            name=op.f("uq_allocation_key_shares_key_id_municipality_number"),
        ),
    )
    op.create_table(
        "service_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=16), nullable=False),
        sa.Column("annual_cost", sa.BigInteger(), nullable=True),
        sa.Column("allocation_key", sa.String(length=80), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("unit_price", sa.BigInteger(), nullable=True),
        sa.Column("period", sa.String(length=16), nullable=True),
        sa.Column("setup_fee", sa.BigInteger(), nullable=True),
        sa.Column("hourly_rate", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_key"],
            ["allocation_keys.name"],
            name=op.f("fk_service_prices_allocation_key_allocation_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["services.code"],
            name=op.f("fk_service_prices_service_code_services"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_prices")),
        sa.UniqueConstraint(
            "service_code", "year", name=op.f("uq_service_prices_service_code_year")
        ),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_number", sa.String(length=4), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_number"],
            ["municipalities.number"],
            name=op.f("fk_subscriptions_municipality_number_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["service_code"], ["services.code"], name=op.f("fk_subscriptions_service_code_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_municipality_number"),
            ["municipality_number"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_subscriptions_service_code"), ["service_code"], unique=False
        )

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_number", sa.String(length=4), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_by", sa.Integer(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("fulfilled_by", sa.Integer(), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending_approval', 'approved', 'rejected', 'fulfilled', 'cancelled')",
            name=op.f("ck_orders_status"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_orders_approved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by"], ["users.id"], name=op.f("fk_orders_cancelled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_orders_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["fulfilled_by"], ["users.id"], name=op.f("fk_orders_fulfilled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_number"],
            ["municipalities.number"],
            name=op.f("fk_orders_municipality_number_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["rejected_by"], ["users.id"], name=op.f("fk_orders_rejected_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["service_code"], ["services.code"], name=op.f("fk_orders_service_code_services")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_orders_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_orders_municipality_number"), ["municipality_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_orders_service_code"), ["service_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_status"), ["status"], unique=False)

    op.create_table(
        "special_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_number", sa.String(length=4), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("desired_by", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority_rank", sa.Integer(), nullable=True),
        sa.Column("quote_hours", sa.String(length=40), nullable=True),
        sa.Column("quote_hourly_rate", sa.BigInteger(), nullable=True),
        sa.Column("quote_amount", sa.BigInteger(), nullable=True),
        sa.Column("quoted_by", sa.Integer(), nullable=True),
        sa.Column("quoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_hours", sa.String(length=40), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'quoted', 'accepted', 'rejected', 'in_progress', 'delivered')",
            name=op.f("ck_special_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_special_requests_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_special_requests_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_number"],
            ["municipalities.number"],
            name=op.f("fk_special_requests_municipality_number_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["quoted_by"], ["users.id"], name=op.f("fk_special_requests_quoted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["services.code"],
            name=op.f("fk_special_requests_service_code_services"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_requests")),
    )
    with op.batch_alter_table("special_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_special_requests_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_special_requests_municipality_number"),
            ["municipality_number"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_special_requests_priority_rank"), ["priority_rank"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_special_requests_status"), ["status"], unique=False)

    op.create_table(
        "subscription_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_subscription_changes_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_changes_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_changes")),
        sa.UniqueConstraint(
            "subscription_id",
            "effective_on",
            name=op.f("uq_subscription_changes_subscription_id_effective_on"),
        ),
    )


def downgrade() -> None:
    op.drop_table("subscription_changes")
    with op.batch_alter_table("special_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_special_requests_status"))
        batch_op.drop_index(batch_op.f("ix_special_requests_priority_rank"))
        batch_op.drop_index(batch_op.f("ix_special_requests_municipality_number"))
        batch_op.drop_index(batch_op.f("ix_special_requests_created_at"))

    op.drop_table("special_requests")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_status"))
        batch_op.drop_index(batch_op.f("ix_orders_service_code"))
        batch_op.drop_index(batch_op.f("ix_orders_municipality_number"))
        batch_op.drop_index(batch_op.f("ix_orders_created_at"))

    op.drop_table("orders")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_service_code"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_municipality_number"))

    op.drop_table("subscriptions")
    op.drop_table("service_prices")
    op.drop_table("allocation_key_shares")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_tier"))
        batch_op.drop_index(batch_op.f("ix_services_status"))

    op.drop_table("services")
    with op.batch_alter_table("allocation_keys", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_allocation_keys_is_default",
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default = 1"),
        )

    op.drop_table("allocation_keys")
