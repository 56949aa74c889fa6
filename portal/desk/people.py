"""The people of the desk: agents a ticket can be assigned to, their names, whether an
agent takes new tickets, and which colleagues are on a ticket right now."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.auth.models import User
from portal.desk.models import TicketView
from servicedesk.models import TicketHistory
from servicedesk.queues import ASSIGNABLE_ROLES

# How far back a colleague's look at (or change of) a ticket counts as "right now".
RECENT = timedelta(minutes=5)
# A page view is written at most this often per agent and ticket.
VIEW_EVERY = timedelta(minutes=1)


def list_agents(session: Session) -> list[tuple[int, str]]:
    """Active users tickets can be assigned to: ``(id, name or e-mail)`` by name."""
    rows = session.execute(
        sa.select(col(User.id), col(User.name), col(User.email))
        .where(col(User.role).in_(ASSIGNABLE_ROLES), col(User.active).is_(True))
        .order_by(col(User.name), col(User.email))
    )
    return [(i, name or email) for i, name, email in rows if i is not None]


def names_of(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(col(User.id), col(User.name), col(User.email)).where(col(User.id).in_(wanted))
    )
    return {i: name or email for i, name, email in rows if i is not None}


def is_available(session: Session, actor: Actor) -> bool:
    return bool(session.scalar(sa.select(col(User.available)).where(col(User.id) == actor.user_id)))


@dataclass(frozen=True)
class Colleague:
    name: str
    did: str  # viewed or changed
    at: datetime


def colleagues_on(session: Session, actor: Actor, ticket_id: int, now: datetime) -> list[Colleague]:
    """Other IT users who opened or changed the ticket in the last few minutes."""
    since = now - RECENT
    seen = session.execute(
        sa.select(col(TicketView.user_id), col(TicketView.seen_at)).where(
            col(TicketView.ticket_id) == ticket_id,
            col(TicketView.user_id) != actor.user_id,
            col(TicketView.seen_at) >= since,
        )
    ).all()
    changed = session.execute(
        sa.select(col(TicketHistory.actor_id), sa.func.max(col(TicketHistory.at)))
        .where(
            col(TicketHistory.ticket_id) == ticket_id,
            col(TicketHistory.actor_id).is_not(None),
            col(TicketHistory.actor_id) != actor.user_id,
            col(TicketHistory.at) >= since,
        )
        .group_by(col(TicketHistory.actor_id))
    ).all()
    it_users = {
        i
        for (i,) in session.execute(
            sa.select(col(User.id)).where(
                col(User.id).in_({u for u, _ in [*seen, *changed]}),
                col(User.role).notin_((Role.REQUESTER.value, Role.ORDERER.value)),
            )
        )
    }
    names = names_of(session, it_users)
    out = [
        Colleague(names[u], "changed", at) for u, at in changed if u is not None and u in it_users
    ]
    out += [Colleague(names[u], "viewed", at) for u, at in seen if u in it_users]
    return sorted(out, key=lambda c: c.at, reverse=True)
