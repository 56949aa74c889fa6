"""pick function: auto-assignment's queue lock and pick in one round trip (PostgreSQL)

Auto-assignment locks the queue's row, then picks the available agent with the
fewest open tickets (ties: least recently assigned, then lowest id) and stamps
the pick. The pick must be a statement of its own, started after the lock was
granted, to see the picks committed by whoever held the lock before (READ
COMMITTED gives each statement its own snapshot), so servicedesk/queues.py
sent two statements. A VOLATILE function takes a fresh snapshot for each of
its statements, so the same two statements in ``servicedesk_pick_agent`` cost
no round trip of their own: the creation's one statement (servicedesk/filing.py)
calls the function first, and PostgreSQL keeps its plans for the connection.

The rule is the one of ``servicedesk.queues._candidate`` (which SQLite still
runs); the assignment tests run the same cases on both databases. SQLite needs
nothing: it runs one writer at a time.

Revision ID: 7a8b9c0d1e07
Revises: 6f7a8b9c0d06
Create Date: 2026-11-23 23:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7a8b9c0d1e07"
down_revision: str | None = "6f7a8b9c0d06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The roles are servicedesk.queues.ASSIGNABLE_ROLES when this was written.
PICK_FUNCTION = """
CREATE FUNCTION servicedesk_pick_agent(wanted_queue text, assigned_at timestamptz)
RETURNS TABLE (picked_user_id integer, picked_email text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF wanted_queue IS NULL THEN
        RETURN;  -- nothing to pick: the creation's one statement calls this for every ticket
    END IF;
    -- NO KEY UPDATE: the creator may already hold a KEY SHARE lock on the queue
    -- (its ticket's foreign key), which a plain FOR UPDATE would wait for.
    PERFORM 1 FROM queues WHERE code = wanted_queue FOR NO KEY UPDATE;
    RETURN QUERY
    WITH chosen AS (
        SELECT queue_agents.user_id, users.email::text AS email
        FROM queue_agents
        JOIN users ON users.id = queue_agents.user_id
        LEFT JOIN agent_loads ON agent_loads.user_id = queue_agents.user_id
        WHERE queue_agents.queue_code = wanted_queue
          AND users.available AND users.active AND users.role IN ('agent', 'admin')
        ORDER BY coalesce(agent_loads.open_tickets, 0),
                 queue_agents.last_assigned_at ASC NULLS FIRST,
                 queue_agents.user_id
        LIMIT 1
    ), noted AS (
        UPDATE queue_agents SET last_assigned_at = assigned_at
        WHERE queue_agents.user_id = (SELECT chosen.user_id FROM chosen)
    )
    SELECT chosen.user_id, chosen.email FROM chosen;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PICK_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS servicedesk_pick_agent(text, timestamptz)")
