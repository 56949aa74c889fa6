"""One ticket as the agent sees it: its whole timeline, where it came from, and the marks in
its history a form carries to tell changes made meanwhile apart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor
from metrics.models import Outage
from notifications.models import Notification
from service_catalog.models import Order
from servicedesk.attachments.services import list_attachments
from servicedesk.choices import HISTORY_COMMENT, HISTORY_ROUTING
from servicedesk.mail.models import MailMessage
from servicedesk.models import Ticket, TicketHistory
from servicedesk.queries import list_comments, list_history
from servicedesk.sla.models import SlaEvent


@dataclass
class Entry:
    """One event of a ticket's timeline."""

    at: datetime
    kind: str  # comment, change, routing, attachment, mail_in, mail_out, sla
    actor_id: int | None = None
    internal: bool = False
    body: str | None = None
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def timeline(session: Session, actor: Actor, ticket: Ticket) -> list[Entry]:
    """Everything that happened to a ticket, oldest first: comments (public and internal),
    changes (those made together as one entry), the routing decision, attachments, mails
    received and sent, and SLA warnings and breaches."""
    assert ticket.id is not None
    entries: list[Entry] = []
    for c in list_comments(session, actor, ticket, limit=200).items:
        entries.append(Entry(c.created_at, "comment", c.author_id, c.internal, body=c.body))
    group: Entry | None = None
    for h in list_history(session, actor, ticket, limit=200).items:
        if h.field == HISTORY_COMMENT or h.field.startswith("sla_"):
            # Comments and SLA events have entries of their own (below).
            continue
        if h.field == HISTORY_ROUTING:
            entries.append(Entry(h.at, "routing", h.actor_id, data=dict(h.new or {})))
            continue
        if group is not None and group.at == h.at and group.actor_id == h.actor_id:
            group.changes.append((h.field, h.old, h.new))
            continue
        group = Entry(h.at, "change", h.actor_id, changes=[(h.field, h.old, h.new)])
        entries.append(group)
    for a in list_attachments(session, actor, ticket.id, limit=200).items:
        entries.append(Entry(a.uploaded_at, "attachment", a.uploaded_by, a.internal, data=vars(a)))
    mails = sa.select(MailMessage).where(col(MailMessage.ticket_id) == ticket.id)
    for m in session.scalars(mails.order_by(col(MailMessage.id))):
        entries.append(
            Entry(m.received_at, "mail_in", data={"sender": m.sender, "subject": m.subject})
        )
    sent = sa.select(Notification).where(col(Notification.ticket_id) == ticket.id)
    for n in session.scalars(sent.order_by(col(Notification.id))):
        entries.append(
            Entry(
                n.sent_at or n.created_at,
                "mail_out",
                data={"recipient": n.recipient, "event": n.event, "status": n.status},
            )
        )
    events = sa.select(SlaEvent).where(col(SlaEvent.ticket_id) == ticket.id)
    for e in session.scalars(events.order_by(col(SlaEvent.at))):
        entries.append(Entry(e.at, "sla", data={"target": e.target, "kind": e.kind}))
    entries.sort(key=lambda e: e.at)
    return entries


def last_history_id(session: Session, ticket_id: int) -> int:
    """The newest history entry's id: a form carries it to tell later changes apart."""
    found = session.scalar(
        sa.select(sa.func.max(col(TicketHistory.id))).where(
            col(TicketHistory.ticket_id) == ticket_id
        )
    )
    return int(found or 0)


def last_history_ids(session: Session, ticket_ids: Sequence[int]) -> dict[int, int]:
    """``last_history_id`` of many tickets in one query (a desk row's «take» carries it)."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        sa.select(col(TicketHistory.ticket_id), sa.func.max(col(TicketHistory.id)))
        .where(col(TicketHistory.ticket_id).in_(list(ticket_ids)))
        .group_by(col(TicketHistory.ticket_id))
    )
    return {ticket_id: int(last) for ticket_id, last in rows if last is not None}


def changes_since(
    session: Session, actor: Actor, ticket: Ticket, after_id: int
) -> list[TicketHistory]:
    """History entries written after ``after_id`` (what changed while a form was open)."""
    stmt = sa.select(TicketHistory).where(
        col(TicketHistory.ticket_id) == ticket.id, col(TicketHistory.id) > after_id
    )
    if actor.is_municipal:
        stmt = stmt.where(col(TicketHistory.internal).is_(False))
    return list(session.scalars(stmt.order_by(col(TicketHistory.id))))


def origin_of(session: Session, ticket: Ticket) -> dict[str, int] | None:
    """The order or the outage the ticket was opened for, if any: ``{"order": id}``."""
    order_id = session.scalar(
        sa.select(col(Order.id)).where(col(Order.ticket_id) == ticket.id).limit(1)
    )
    if order_id is not None:
        return {"order": order_id}
    outage_id = session.scalar(
        sa.select(col(Outage.id)).where(col(Outage.ticket_id) == ticket.id).limit(1)
    )
    if outage_id is not None:
        return {"outage": outage_id}
    return None
