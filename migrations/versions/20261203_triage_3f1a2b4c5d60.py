"""triage: trained models (figures and pickled bytes), one of them active

Writes to ``triage_models`` change the reference token (as the reference
tables' do, migration 5e6f7a8b9c05), so every process notices a newly
trained or activated model on its next use without a query of its own.

Revision ID: 3f1a2b4c5d60
Revises: 9c1d2e3f4a51
Create Date: 2026-12-03 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f1a2b4c5d60"
down_revision: str | None = "9c1d2e3f4a51"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "triage_models"
RANDOMISE_REFERENCE = "UPDATE reference_version SET token = lower(hex(randomblob(16))) WHERE id = 1"
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_by", sa.Integer(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("window_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trained_by"], ["users.id"], name=op.f("fk_triage_models_trained_by_users")
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_triage_models")),
    )
    op.create_index(
        "uq_triage_models_one_active",
        TABLE,
        ["active"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {TABLE}_reference_version AFTER INSERT OR UPDATE OR DELETE "
            f"OR TRUNCATE ON {TABLE} FOR EACH STATEMENT EXECUTE FUNCTION new_reference_token()"
        )
    else:
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER {TABLE}_reference_version_{event.lower()} AFTER {event} "
                f"ON {TABLE} BEGIN {RANDOMISE_REFERENCE}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_reference_version ON {TABLE}")
    else:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_reference_version_{event.lower()}")
    op.drop_index("uq_triage_models_one_active", table_name=TABLE)
    op.drop_table(TABLE)
