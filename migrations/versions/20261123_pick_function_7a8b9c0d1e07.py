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

Also: a new ticket's row in ``agent_loads`` is counted by a function of its
own (one upsert) instead of the general one of 6f7a8b9c0d06, which works out
an old and a new agent and loops over them; every auto-assigned creation runs
it, and the general one cost PostgreSQL about 50 µs of a creation's 0.8 ms.

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


COUNT_NEW_TICKET = """
CREATE FUNCTION agent_loads_count_new_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agent_loads (user_id, open_tickets) VALUES (NEW.assignee_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET open_tickets = agent_loads.open_tickets + 1;
    RETURN NULL;
END $$
"""
# The trigger's condition is 6f7a8b9c0d06's (the open statuses when this was written).
INSERT_TRIGGER = (
    "CREATE TRIGGER tickets_agent_loads_insert AFTER INSERT ON tickets FOR EACH ROW "
    "WHEN (NEW.assignee_id IS NOT NULL AND NEW.status IN ('new', 'assigned', 'in_progress', 'pending')) "
    "EXECUTE FUNCTION {function}()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PICK_FUNCTION)
        op.execute(COUNT_NEW_TICKET)
        op.execute("DROP TRIGGER tickets_agent_loads_insert ON tickets")
        op.execute(INSERT_TRIGGER.format(function="agent_loads_count_new_ticket"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tickets_agent_loads_insert ON tickets")
        op.execute(INSERT_TRIGGER.format(function="agent_loads_follow_tickets"))
        op.execute("DROP FUNCTION agent_loads_count_new_ticket()")
        op.execute("DROP FUNCTION IF EXISTS servicedesk_pick_agent(text, timestamptz)")
