"""Read side of the servicedesk: visible tickets, lists, search, comments, history, views."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.db import table_of
from kommune_ikt.core.errors import NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import Page, keyset, page_of, paginate
from kommune_ikt.core.tenancy import scope_to_actor
from kommune_ikt.core.types import utcnow
from servicedesk import search
from servicedesk.models import Ticket, TicketComment, TicketHistory
from servicedesk.sla.state import sla_views

# The columns a ticket view carries (every mapped column of Ticket).
VIEW_COLUMNS = tuple(c.key for c in sa.inspect(Ticket).column_attrs)
_VIEW = tuple(table_of(Ticket).c[c] for c in VIEW_COLUMNS)


def visible_tickets(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """Requesters see the tickets they filed, orderers their municipality's, IT roles all."""
    stmt = scope_to_actor(stmt, actor, Ticket.municipality_number)
    if actor.role == Role.REQUESTER:
        stmt = stmt.where(col(Ticket.requester_id) == actor.user_id)
    return stmt


def get_ticket(
    session: Session, actor: Actor, ticket_id: int, *, for_update: bool = False
) -> Ticket:
    """The ticket, or 404 when it does not exist or the actor may not see it."""
    stmt = visible_tickets(sa.select(Ticket).where(col(Ticket.id) == ticket_id), actor)
    if for_update:
        stmt = stmt.with_for_update()
    ticket = session.scalar(stmt)
    if ticket is None:
        raise NotFound(N_("Ticket not found."))
    return ticket


def list_tickets(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    queue: str | None = None,
    municipality: str | None = None,
    priority: int | None = None,
    assignee: str | None = None,
    type: str | None = None,
    q: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    requester_id: int | None = None,
    statuses: Collection[str] | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Any]:
    """Tickets the actor may see, newest first, filtered; access rules apply before paging.

    One statement: the page's ids are found by a subquery that reads only
    ``(created_at, id)``, which the composite index of the filters (ending in
    ``created_at, id``) answers on its own, and the outer query reads those
    tickets by id. Asked for whole rows directly, PostgreSQL may instead walk the
    plain ``created_at`` index and filter, betting that matches are spread
    evenly over time; they are not (the newest tickets are the open ones), and a
    page of closed tickets then read some 10 000 rows. The items are rows of the
    ticket's columns (``VIEW_COLUMNS``), read by name.
    """
    municipality = actor.check_municipality_filter(municipality)
    stmt = visible_tickets(sa.select(col(Ticket.id)), actor)
    if municipality is not None:
        stmt = stmt.where(col(Ticket.municipality_number) == municipality)
    if status is not None:
        stmt = stmt.where(col(Ticket.status) == status)
    if statuses is not None:
        stmt = stmt.where(col(Ticket.status).in_(list(statuses)))
    if requester_id is not None:
        stmt = stmt.where(col(Ticket.requester_id) == requester_id)
    if queue is not None:
        stmt = stmt.where(col(Ticket.queue_code) == queue)
    if priority is not None:
        stmt = stmt.where(col(Ticket.priority) == priority)
    if type is not None:
        stmt = stmt.where(col(Ticket.type) == type)
    if assignee is not None:
        stmt = stmt.where(_assignee_clause(actor, assignee))
    if created_from is not None:
        stmt = stmt.where(col(Ticket.created_at) >= created_from)
    if created_to is not None:
        stmt = stmt.where(col(Ticket.created_at) < created_to)
    if created_from is not None and created_to is not None and created_to <= created_from:
        raise ValidationFailed("created_to", N_("Must be after created_from."))
    if q is not None and q.strip():
        stmt = stmt.where(search.search_clause(session, q))
    order = [col(Ticket.created_at), col(Ticket.id)]
    page_ids = keyset(stmt, order, limit=limit, cursor=cursor)
    rows = (
        sa.select(*_VIEW).where(col(Ticket.id).in_(page_ids)).order_by(*(k.desc() for k in order))
    )
    # Rows of the columns (what ``present`` reads), not ORM instances: loading
    # 50 instances cost more than the query. Core does not autoflush, so flush.
    session.flush()
    return page_of(list(session.connection().execute(rows)), order, limit)


def _assignee_clause(actor: Actor, assignee: str) -> Any:
    if assignee == "none":
        return col(Ticket.assignee_id).is_(None)
    if assignee == "me":
        return Ticket.assignee_id == actor.user_id
    return Ticket.assignee_id == int(assignee)


def list_comments(
    session: Session, actor: Actor, ticket: Ticket, *, limit: int = 50, cursor: str | None = None
) -> Page[TicketComment]:
    """Comments oldest first; internal ones only for the IT unit."""
    stmt = sa.select(TicketComment).where(col(TicketComment.ticket_id) == ticket.id)
    if actor.is_municipal:
        stmt = stmt.where(col(TicketComment.internal).is_(False))
    return _ascending(session, stmt, TicketComment.id, limit, cursor)


def list_history(
    session: Session, actor: Actor, ticket: Ticket, *, limit: int = 50, cursor: str | None = None
) -> Page[TicketHistory]:
    """History oldest first; entries about internal comments only for the IT unit."""
    stmt = sa.select(TicketHistory).where(col(TicketHistory.ticket_id) == ticket.id)
    if actor.is_municipal:
        stmt = stmt.where(col(TicketHistory.internal).is_(False))
    return _ascending(session, stmt, TicketHistory.id, limit, cursor)


def _ascending(
    session: Session, stmt: Select[Any], key: Any, limit: int, cursor: str | None
) -> Page[Any]:
    """Oldest first by id (a ticket's own timeline reads that way)."""
    return paginate(session, stmt, [key], limit=limit, cursor=cursor, kinds=[int], descending=False)


def present(
    session: Session, tickets: Sequence[Any], now: datetime | None = None
) -> list[SimpleNamespace]:
    """Views of many tickets (ORM instances or rows of their columns) with their SLA
    state (``sla``), computed in one batch.

    A view is the ticket's column values as plain attributes: the response schema
    reads some twenty of them per ticket, and asking an ORM instance (or an object
    that forwards to one) goes through its attribute machinery every time, which
    cost a page of 50 tickets about a third of its time.
    """
    now = now or utcnow()
    slas = sla_views(session, tickets, now) if tickets else {}
    return [view(t, slas.get(t.id) or _no_sla()) for t in tickets]


def view(ticket: Any, sla: dict[str, Any]) -> SimpleNamespace:
    """One ticket's view with the SLA state given (a new ticket's, as filing computed it)."""
    return SimpleNamespace(**{c: getattr(ticket, c) for c in VIEW_COLUMNS}, sla=sla)


def present_one(session: Session, ticket: Ticket) -> SimpleNamespace:
    return present(session, [ticket])[0]


def _no_sla() -> dict[str, Any]:
    return {
        "response_due": None,
        "resolution_due": None,
        "responded_at": None,
        "resolved_at": None,
        "response_breached": False,
        "resolution_breached": False,
        "paused": False,
    }
