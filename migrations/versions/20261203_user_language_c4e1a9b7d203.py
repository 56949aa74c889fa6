"""users: language (null follows the browser, then the deployment default) and last_seen_at

Revision ID: c4e1a9b7d203
Revises: 7a8b9c0d1e07
Create Date: 2026-12-03 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e1a9b7d203"
down_revision: str | None = "7a8b9c0d1e07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases: a batch copy of ``users`` on SQLite would
# drop a table that every other table's foreign keys point at.


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.String(length=8), nullable=True))
    op.add_column("users", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # SQLite has DROP COLUMN since 3.35.
    op.execute("ALTER TABLE users DROP COLUMN last_seen_at")
    op.execute("ALTER TABLE users DROP COLUMN language")
