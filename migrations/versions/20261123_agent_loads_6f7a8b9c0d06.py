"""agent loads: each assignee's open tickets, kept by triggers on tickets

Auto-assignment picks the available agent with the fewest open tickets. It
counted them at every pick, which grows with the agents' backlogs (at a million
tickets it was half of PostgreSQL's work per creation, bench/tickets.py). The
triggers below keep the count in ``agent_loads`` in the transaction that
changes a ticket's assignee or status, whoever writes it (API, CLI, SQL).

On PostgreSQL one function serves the three triggers; when a ticket moves
between two agents it updates the lower user id first, so two such moves in
opposite directions lock the two rows in the same order. SQLite runs one
writer at a time.

Revision ID: 6f7a8b9c0d06
Revises: 5e6f7a8b9c05
Create Date: 2026-11-23 21:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6f7a8b9c0d06"
down_revision: str | None = "5e6f7a8b9c05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The statuses in every statement below are servicedesk.choices.OPEN_STATUSES when this
# was written (a migration keeps its own copy; the SQL is constant text).

POSTGRESQL_FUNCTION = """
CREATE FUNCTION agent_loads_follow_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was integer;
    now_on integer;
    agent integer;
    delta integer;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.assignee_id IS NOT NULL AND OLD.status IN ('new', 'assigned', 'in_progress', 'pending') THEN
        was := OLD.assignee_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.assignee_id IS NOT NULL AND NEW.status IN ('new', 'assigned', 'in_progress', 'pending') THEN
        now_on := NEW.assignee_id;
    END IF;
    IF was IS NOT DISTINCT FROM now_on THEN
        RETURN NULL;
    END IF;
    FOR agent, delta IN
        SELECT a, d FROM (VALUES (was, -1), (now_on, 1)) AS v (a, d)
        WHERE a IS NOT NULL ORDER BY a
    LOOP
        INSERT INTO agent_loads (user_id, open_tickets) VALUES (agent, delta)
        ON CONFLICT (user_id) DO UPDATE SET open_tickets = agent_loads.open_tickets + delta;
    END LOOP;
    RETURN NULL;
END $$
"""
POSTGRESQL_TRIGGERS = (
    "CREATE TRIGGER tickets_agent_loads_insert AFTER INSERT ON tickets FOR EACH ROW "
    "WHEN (NEW.assignee_id IS NOT NULL AND NEW.status IN ('new', 'assigned', 'in_progress', 'pending')) "
    "EXECUTE FUNCTION agent_loads_follow_tickets()",
    "CREATE TRIGGER tickets_agent_loads_update AFTER UPDATE OF assignee_id, status ON tickets "
    "FOR EACH ROW WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id "
    "OR OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION agent_loads_follow_tickets()",
    "CREATE TRIGGER tickets_agent_loads_delete AFTER DELETE ON tickets FOR EACH ROW "
    "WHEN (OLD.assignee_id IS NOT NULL AND OLD.status IN ('new', 'assigned', 'in_progress', 'pending')) "
    "EXECUTE FUNCTION agent_loads_follow_tickets()",
)
ADD = (
    "INSERT INTO agent_loads (user_id, open_tickets) VALUES ({who}, 1) "
    "ON CONFLICT (user_id) DO UPDATE SET open_tickets = open_tickets + 1"
)
REMOVE = "UPDATE agent_loads SET open_tickets = open_tickets - 1 WHERE user_id = {who}"
SQLITE_TRIGGERS = (
    "CREATE TRIGGER tickets_agent_loads_insert AFTER INSERT ON tickets "
    "WHEN NEW.assignee_id IS NOT NULL AND NEW.status IN ('new', 'assigned', 'in_progress', 'pending') "
    f"BEGIN {ADD.format(who='NEW.assignee_id')}; END",
    "CREATE TRIGGER tickets_agent_loads_update_old AFTER UPDATE OF assignee_id, status ON tickets "
    "WHEN OLD.assignee_id IS NOT NULL AND OLD.status IN ('new', 'assigned', 'in_progress', 'pending') "
    f"BEGIN {REMOVE.format(who='OLD.assignee_id')}; END",
    "CREATE TRIGGER tickets_agent_loads_update_new AFTER UPDATE OF assignee_id, status ON tickets "
    "WHEN NEW.assignee_id IS NOT NULL AND NEW.status IN ('new', 'assigned', 'in_progress', 'pending') "
    f"BEGIN {ADD.format(who='NEW.assignee_id')}; END",
    "CREATE TRIGGER tickets_agent_loads_delete AFTER DELETE ON tickets "
    "WHEN OLD.assignee_id IS NOT NULL AND OLD.status IN ('new', 'assigned', 'in_progress', 'pending') "
    f"BEGIN {REMOVE.format(who='OLD.assignee_id')}; END",
)
SQLITE_NAMES = ("insert", "update_old", "update_new", "delete")


def upgrade() -> None:
    op.create_table(
        "agent_loads",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("open_tickets", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_agent_loads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_agent_loads")),
    )
    op.execute(
        "INSERT INTO agent_loads (user_id, open_tickets) "
        "SELECT assignee_id, count(*) FROM tickets "
        "WHERE assignee_id IS NOT NULL AND status IN ('new', 'assigned', 'in_progress', 'pending') GROUP BY assignee_id"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS tickets_agent_loads_{name} ON tickets")
        op.execute("DROP FUNCTION IF EXISTS agent_loads_follow_tickets()")
    else:
        for name in SQLITE_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS tickets_agent_loads_{name}")
    op.drop_table("agent_loads")
