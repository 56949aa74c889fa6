"""SLA at chosen instants: tickets filed and changed through the ticket services, read back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from servicedesk import filing, services
from servicedesk.models import Queue, QueueAgent, Ticket
from servicedesk.sla.state import sla_views
from tests.support.desk import HOST

OSLO = ZoneInfo("Europe/Oslo")


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)


@dataclass
class Clockwork:
    """Files and changes tickets at given instants and reads their SLA at given instants."""

    session: Session
    create_user: Any

    def __post_init__(self) -> None:
        self.requester = self.create_user("requester", HOST)
        self.agent = self.create_user("agent")

    def file(self, at: datetime, *, impact: int = 2, urgency: int = 1, **data: Any) -> Ticket:
        """A ticket filed at ``at``; impact 2 / urgency 1 is priority 2 (60 / 240 min)."""
        body = {
            "title": "Fagsystemet for hjemmetjenesten svarer ikke",
            "description": "Ingen i hjemmetjenesten får logget inn siden i morges.",
            "type": "incident",
            "impact": impact,
            "urgency": urgency,
            **data,
        }
        actor = self.requester.actor if "municipality" not in data else self.agent.actor
        ticket = filing.file_ticket(self.session, actor, filing.NewTicket(**body), now=at).ticket
        self.session.commit()
        return ticket

    def change(self, ticket: Ticket, at: datetime, **changes: Any) -> Ticket:
        services.update_ticket(self.session, self.agent.actor, ticket, changes, now=at)
        self.session.commit()
        return ticket

    def comment(self, ticket: Ticket, at: datetime, body: str = "Vi ser på det.", **kw: Any):
        services.add_comment(self.session, self.agent.actor, ticket, body, now=at, **kw)
        self.session.commit()

    def sla(self, ticket: Ticket, at: datetime) -> dict[str, Any]:
        return sla_views(self.session, [ticket], at)[ticket.id]

    def queue_agents(self, *users: Any, queue: str = "SERVICEDESK") -> None:
        for user in users:
            self.session.add(QueueAgent(queue_code=queue, user_id=user.id))
        self.session.commit()

    def default_queue(self) -> Queue:
        return self.session.scalar(sa.select(Queue).where(Queue.is_default.is_(True)))
