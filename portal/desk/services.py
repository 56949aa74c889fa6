"""Use cases of the desk: saved views, noting who opened a ticket, and bulk actions applied
ticket by ticket through the same service functions as a single edit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kommune_ikt.core.auth.actor import IT_ROLES, Actor, Role
from kommune_ikt.core.errors import DomainError, Forbidden, ValidationFailed
from kommune_ikt.core.messages import N_
from portal.desk.filters import MAX_QUERY, filters_of_query
from portal.desk.models import SavedView, TicketView
from portal.desk.people import VIEW_EVERY
from servicedesk import queries, services
from servicedesk.choices import TicketStatus

BULK_ACTIONS = ("assign", "queue", "status", "note")
MAX_BULK = 200


def save_view(session: Session, actor: Actor, *, name: str, query: str, shared: bool) -> SavedView:
    """Keep the filters ``query`` under ``name``; ``shared`` shows it to the whole IT unit."""
    actor.require(*IT_ROLES)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("name", N_("Gi visningen et navn."))
    if len(name) > 100:
        raise ValidationFailed("name", N_("Høyst 100 tegn."))
    filters = filters_of_query(query or "")
    stored = filters.query()
    if len(stored) > MAX_QUERY:
        raise ValidationFailed("query", N_("Filtrene er for lange til å lagres."))
    assert actor.user_id is not None
    view = SavedView(name=name, query=stored, owner_id=actor.user_id, shared=shared)
    session.add(view)
    session.flush()
    return view


def delete_view(session: Session, actor: Actor, view: SavedView) -> None:
    """Its owner (or an admin) deletes a saved view; a shared one disappears for everyone."""
    if view.owner_id != actor.user_id and not actor.has(Role.ADMIN):
        raise Forbidden(N_("Bare eieren kan slette en lagret visning."))
    session.delete(view)
    session.flush()


def note_view(session: Session, actor: Actor, ticket_id: int, now: datetime) -> None:
    """Remember that the actor has the ticket open: one upsert, which writes only when the
    last note is a minute old or more, so reloading a page costs no write."""
    if actor.user_id is None:
        return
    table = TicketView.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    stmt = insert.values(user_id=actor.user_id, ticket_id=ticket_id, seen_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "ticket_id"],
        set_={"seen_at": stmt.excluded.seen_at},
        where=table.c.seen_at <= now - VIEW_EVERY,
    )
    session.execute(stmt)


@dataclass(frozen=True)
class Outcome:
    """What a bulk action did to one ticket: done, or refused and why."""

    ticket_id: int
    number: str | None
    error: DomainError | None = None

    @property
    def done(self) -> bool:
        return self.error is None


def apply_bulk(
    session: Session,
    actor: Actor,
    ticket_ids: list[int],
    action: str,
    value: Any = None,
    note: str = "",
) -> list[Outcome]:
    """Apply one action to each ticket on its own (a savepoint each): what one ticket
    refuses (a transition it may not make, a closed ticket) leaves the others done."""
    actor.require(Role.AGENT)
    if action not in BULK_ACTIONS:
        raise ValidationFailed("action", N_("Velg en handling."))
    if not ticket_ids:
        raise ValidationFailed("ticket", N_("Kryss av minst én sak."))
    if len(ticket_ids) > MAX_BULK:
        raise ValidationFailed("ticket", N_("Høyst 200 saker om gangen."))
    if action == "note" and not (note or "").strip():
        raise ValidationFailed("body", N_("A comment needs text."))
    if action in ("queue", "status") and not value:
        raise ValidationFailed(action, N_("Velg en verdi."))
    if action == "status" and value not in {s.value for s in TicketStatus}:
        raise ValidationFailed("status", N_("Velg en verdi."))
    changes: dict[str, Any] = {}
    if action == "assign":
        changes = {"assignee": value}
    elif action in ("queue", "status"):
        changes = {action: value}
    outcomes = []
    for ticket_id in dict.fromkeys(ticket_ids):
        number = None
        try:
            with session.begin_nested():
                ticket = queries.get_ticket(session, actor, ticket_id, for_update=True)
                number = ticket.number
                if action == "note":
                    services.add_comment(session, actor, ticket, note, True)
                else:
                    services.update_ticket(session, actor, ticket, changes)
        except DomainError as exc:
            outcomes.append(Outcome(ticket_id, number, exc))
        else:
            outcomes.append(Outcome(ticket_id, number))
    return outcomes
