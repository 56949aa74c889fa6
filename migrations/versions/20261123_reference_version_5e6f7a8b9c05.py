"""reference version: a token that changes with every write to reference tables

Ticket creation caches municipalities, services, queues, routing rules, SLA
policies and calendars per process (kommune_ikt/core/reference_cache.py) and checks this
token to know whether its copy is current. Statement-level triggers on
PostgreSQL and row triggers on SQLite set a new random token in the writer's
transaction.

A later migration that rebuilds one of these tables on SQLite (batch mode
copies the table) drops its triggers and must create them again with
``create_triggers``; tests/integration/test_reference.py fails otherwise.

Revision ID: 5e6f7a8b9c05
Revises: 4d5e6f7a8b04
Create Date: 2026-11-23 20:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e6f7a8b9c05"
down_revision: str | None = "4d5e6f7a8b04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("municipalities", "services", "queues", "routing_rules", "sla_policies", "sla_calendars")
# Constant SQL (no input reaches it): set a new random token.
SET_TOKEN = {
    "postgresql": "UPDATE reference_version SET token = gen_random_uuid()::text WHERE id = 1",
    "sqlite": "UPDATE reference_version SET token = lower(hex(randomblob(16))) WHERE id = 1",
}
EVENTS = ("INSERT", "UPDATE", "DELETE")


def create_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_reference_version AFTER INSERT OR UPDATE OR DELETE "
            f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION new_reference_token()"
        )
        return
    for event in EVENTS:
        op.execute(
            f"CREATE TRIGGER {table}_reference_version_{event.lower()} AFTER {event} ON {table} "
            f"BEGIN {SET_TOKEN['sqlite']}; END"
        )


def drop_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_reference_version ON {table}")
        return
    for event in EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_reference_version_{event.lower()}")


def upgrade() -> None:
    op.create_table(
        "reference_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_version")),
    )
    dialect = op.get_bind().dialect.name
    op.execute("INSERT INTO reference_version (id, token) VALUES (1, '')")
    op.execute(SET_TOKEN[dialect])
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION new_reference_token() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {SET_TOKEN[dialect]}; RETURN NULL; END $$"
        )
    for table in TABLES:
        create_triggers(table)


def downgrade() -> None:
    for table in TABLES:
        drop_triggers(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS new_reference_token()")
    op.drop_table("reference_version")
