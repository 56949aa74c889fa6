"""Queues and their agents: list, create, change, and the auto-assignment pick."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import IT_ROLES, Actor, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.errors import Conflict, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import utcnow
from servicedesk.models import AgentLoad, Queue, QueueAgent

# Who can be put in a queue or be given a ticket.
ASSIGNABLE_ROLES = (Role.AGENT.value, Role.ADMIN.value)


def list_queues(session: Session, actor: Actor) -> list[Queue]:
    actor.require(*IT_ROLES)
    return list(session.scalars(sa.select(Queue).order_by(Queue.code)))


def get_queue(session: Session, actor: Actor, code: str, *, for_update: bool = False) -> Queue:
    actor.require(*IT_ROLES)
    queue = session.get(Queue, code, with_for_update=for_update)
    if queue is None:
        raise NotFound(N_("Queue %(code)s not found."), params={"code": code})
    return queue


def default_queue(session: Session) -> Queue:
    queue = session.scalar(sa.select(Queue).where(col(Queue.is_default).is_(True)))
    if queue is None:  # pragma: no cover - the migration seeds one and updates keep one
        raise Conflict(N_("No default queue is configured."))
    return queue


def find_queue(session: Session, code: str, field: str = "queue") -> Queue:
    """The queue named in a request body, or a 422 naming ``field``."""
    queue = session.get(Queue, code)
    if queue is None:
        raise ValidationFailed(field, N_("Unknown queue %(code)s."), params={"code": code})
    return queue


def agents_of(session: Session, codes: Sequence[str]) -> dict[str, list[int]]:
    """``{queue code: [user ids]}`` for many queues in one query."""
    out: dict[str, list[int]] = {code: [] for code in codes}
    if not codes:
        return out
    rows = session.execute(
        sa.select(col(QueueAgent.queue_code), col(QueueAgent.user_id))
        .where(col(QueueAgent.queue_code).in_(list(codes)))
        .order_by(col(QueueAgent.user_id))
    )
    for code, user_id in rows:
        out[code].append(user_id)
    return out


def check_assignable(session: Session, user_ids: Sequence[int], field: str) -> None:
    """422 naming ``field`` unless every id is an active agent (or admin)."""
    wanted = set(user_ids)
    if not wanted:
        return
    found = set(
        session.scalars(
            sa.select(col(User.id)).where(
                col(User.id).in_(wanted),
                col(User.role).in_(ASSIGNABLE_ROLES),
                col(User.active).is_(True),
            )
        )
    )
    missing = sorted(wanted - found)
    if missing:
        raise ValidationFailed(
            field,
            N_("Not an active agent: %(ids)s."),
            params={"ids": ", ".join(str(m) for m in missing)},
        )


def create_queue(session: Session, actor: Actor, data: dict[str, Any]) -> Queue:
    actor.require(Role.ADMIN)
    if session.get(Queue, data["code"]) is not None:
        raise Conflict(
            N_("Queue %(code)s exists."),
            errors={"code": [N_("Already in use.")]},
            params={"code": data["code"]},
        )
    agents = data.pop("agents", None) or []
    make_default = data.pop("is_default", False)
    check_assignable(session, agents, "agents")
    queue = Queue(**data, is_default=False)
    session.add(queue)
    session.flush()
    _set_agents(session, queue.code, agents)
    if make_default:
        _make_default(session, queue)
    return queue


def update_queue(session: Session, actor: Actor, queue: Queue, changes: dict[str, Any]) -> Queue:
    actor.require(Role.ADMIN)
    changes = dict(changes)
    agents = changes.pop("agents", None)
    make_default = changes.pop("is_default", None)
    new_code = changes.pop("code", None)
    if make_default is False and queue.is_default:
        raise Conflict(
            N_("Exactly one queue is the default; make another queue the default instead."),
            errors={"default": [N_("Make another queue the default instead.")]},
        )
    if new_code is not None and new_code != queue.code:
        if session.get(Queue, new_code) is not None:
            raise Conflict(
                N_("Queue %(code)s exists."),
                errors={"code": [N_("Already in use.")]},
                params={"code": new_code},
            )
        # The foreign keys cascade the rename into tickets, rules and agents.
        session.execute(sa.update(Queue).where(col(Queue.code) == queue.code).values(code=new_code))
        session.expire_all()
        queue = session.get(Queue, new_code)  # type: ignore[assignment]
    for key, value in changes.items():
        setattr(queue, key, value)
    if agents is not None:
        check_assignable(session, agents, "agents")
        _set_agents(session, queue.code, agents)
    if make_default:
        _make_default(session, queue)
    queue.updated_at = utcnow()
    session.flush()
    return queue


def _set_agents(session: Session, code: str, agents: Sequence[int]) -> None:
    wanted = set(agents)
    current = set(
        session.scalars(
            sa.select(col(QueueAgent.user_id)).where(col(QueueAgent.queue_code) == code)
        )
    )
    if current - wanted:
        session.execute(
            sa.delete(QueueAgent).where(
                col(QueueAgent.queue_code) == code, col(QueueAgent.user_id).in_(current - wanted)
            )
        )
    for user_id in sorted(wanted - current):
        session.add(QueueAgent(queue_code=code, user_id=user_id))
    session.flush()


def _make_default(session: Session, queue: Queue) -> None:
    # Clear the old default first: the partial unique index allows one at a time.
    session.execute(
        sa.update(Queue)
        .where(col(Queue.is_default).is_(True), col(Queue.code) != queue.code)
        .values(is_default=False)
    )
    queue.is_default = True
    session.flush()


def pick_agent(session: Session, queue_code: str, now: datetime) -> tuple[int, str] | None:
    """The available agent of the queue with the fewest open tickets (ties: least recently
    assigned, then lowest id), as ``(user id, e-mail)``, or None when nobody is available.

    On PostgreSQL the queue row is locked first, so two tickets created at once in
    the same queue are assigned one after the other and see each other's counts
    (SQLite runs one writer at a time anyway): the function
    ``servicedesk_pick_agent`` (migration 7a8b9c0d1e07) takes the lock and then
    runs this module's pick rule as a statement of its own, in one round trip.
    """
    # Parameter names must not be column names: an UPDATE would take them as values to SET.
    params = {"wanted_queue": queue_code, "now": now}
    if session.get_bind().dialect.name != "postgresql":
        picked = session.execute(_CANDIDATE, params).first()
        if picked is None:
            return None
        note_assignment(session, picked.user_id, now)
        return picked.user_id, picked.email
    picked = session.connection().execute(_PICK_FUNCTION, params).first()
    return None if picked is None else (picked.picked_user_id, picked.picked_email)


def _candidate() -> Any:
    """The agent to pick (SQLite; PostgreSQL's ``servicedesk_pick_agent`` has the same rule).

    Open tickets come from ``agent_loads``, which triggers keep (an agent with no
    row has none), so the pick costs the same whatever the agents' backlogs.
    """
    return (
        sa.select(col(QueueAgent.user_id), col(User.email))
        .join(User, col(User.id) == col(QueueAgent.user_id))
        .outerjoin(AgentLoad, col(AgentLoad.user_id) == col(QueueAgent.user_id))
        .where(
            col(QueueAgent.queue_code) == sa.bindparam("wanted_queue"),
            col(User.available).is_(True),
            col(User.active).is_(True),
            col(User.role).in_(ASSIGNABLE_ROLES),
        )
        .order_by(
            sa.func.coalesce(col(AgentLoad.open_tickets), 0),
            col(QueueAgent.last_assigned_at).asc().nulls_first(),
            col(QueueAgent.user_id),
        )
        .limit(1)
    )


_CANDIDATE = _candidate()
_PICK_FUNCTION = sa.select(
    sa.func.servicedesk_pick_agent(sa.bindparam("wanted_queue"), sa.bindparam("now"))
    .table_valued(sa.column("picked_user_id", sa.Integer), sa.column("picked_email", sa.Text))
    .render_derived()
)


def note_assignment(session: Session, user_id: int, now: datetime) -> None:
    """Remember when the agent last got a ticket (the tie-breaker of ``pick_agent``)."""
    session.execute(
        sa.update(QueueAgent).where(col(QueueAgent.user_id) == user_id).values(last_assigned_at=now)
    )


@dataclass
class QueueView:
    """A queue with its agents, as the API shows it."""

    queue: Queue
    agents: list[int]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.queue, name)


def present_queues(session: Session, queues: Sequence[Queue]) -> list[QueueView]:
    agents = agents_of(session, [q.code for q in queues])
    return [QueueView(q, agents[q.code]) for q in queues]
