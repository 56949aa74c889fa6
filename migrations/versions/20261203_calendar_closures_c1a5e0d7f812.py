"""calendar closures: recurring partial or whole-day closures as rules, every year

``sla_calendars.closures`` holds rules such as ``{"rule": "12-24",
"closed_from": "12:00"}`` (Christmas Eve from noon) or ``{"rule": "easter-4",
"closed_from": "14:00"}`` (the Wednesday before Maundy Thursday), read by
servicedesk/sla/clock.py when it builds a year's table. Existing calendars get
none.

Revision ID: c1a5e0d7f812
Revises: b00c5f1a2e01
Create Date: 2026-12-03 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c1a5e0d7f812"
down_revision: str | None = "b00c5f1a2e01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A plain ADD/DROP COLUMN, not a batch: on SQLite a batch copies the table, and
# sla_policies' foreign key to it refuses the drop of the old copy.
def upgrade() -> None:
    op.add_column(
        "sla_calendars",
        sa.Column("closures", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    op.drop_column("sla_calendars", "closures")
