"""Ticket use cases: change and comment, with permissions, history and SLA.

Filing a ticket is servicedesk.filing's. Every change writes its history rows
in the same transaction; services flush, the edge (request, job, CLI) commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.errors import Conflict, Forbidden, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import utcnow
from notifications.services import enqueue_many
from servicedesk import catalogue, history, lifecycle, search
from servicedesk.choices import FINAL_STATUSES, TicketStatus
from servicedesk.models import Ticket, TicketComment
from servicedesk.priority import priority_for
from servicedesk.queues import check_assignable, find_queue, note_assignment
from servicedesk.recipients import recipients
from servicedesk.sla.state import apply_sla
from servicedesk.triage.outcomes import count_outcomes

S = TicketStatus
# PATCH field -> ticket attribute; the history names the API field.
ATTRIBUTES = {
    "impact": "impact",
    "urgency": "urgency",
    "priority": "priority",
    "queue": "queue_code",
    "assignee": "assignee_id",
    "service_code": "service_code",
    "category": "category",
    "status": "status",
    "resolution": "resolution",
}
SLA_FIELDS = {"status", "priority", "impact", "urgency", "responded_at"}
TRIAGE_FIELDS = frozenset({"queue", "category", "service_code"})


def update_ticket(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    changes: dict[str, Any],
    *,
    now: datetime | None = None,
) -> Ticket:
    """Change status, impact, urgency, queue, assignee, service or category (with history).

    Requesters (and orderers, for tickets they filed) may only cancel a ticket
    or reopen it within 14 days of its resolution. ``resolution`` is the note
    that a move to ``resolved`` needs.
    """
    now = now or utcnow()
    if not changes:
        raise ValidationFailed("body", N_("Give at least one field to change."))
    if actor.is_municipal:
        _check_requester_change(actor, ticket, changes)
    else:
        actor.require(Role.AGENT)
    current = S(ticket.status)
    if current in FINAL_STATUSES and set(changes) - {"status"}:
        raise Conflict(
            N_("A %(status)s ticket cannot be changed."),
            params={"status": current.value},
            allowed_transitions=[],
        )

    new: dict[str, Any] = {}
    if "queue" in changes:
        if changes["queue"] is None:
            raise ValidationFailed("queue", N_("A ticket always has a queue."))
        new["queue"] = find_queue(session, changes["queue"]).code
    if "assignee" in changes:
        if changes["assignee"] is not None:
            check_assignable(session, [changes["assignee"]], "assignee")
        new["assignee"] = changes["assignee"]
    if "service_code" in changes:
        if changes["service_code"] is not None:
            catalogue.check_service(session, changes["service_code"])
        new["service_code"] = changes["service_code"]
    if "category" in changes:
        new["category"] = changes["category"]
    if "impact" in changes or "urgency" in changes:
        new["impact"] = changes.get("impact", ticket.impact)
        new["urgency"] = changes.get("urgency", ticket.urgency)
        new["priority"] = priority_for(new["impact"], new["urgency"])

    target = _target_status(ticket, current, changes, new)
    if target != current:
        lifecycle.check_transition(current, target, resolved_at=ticket.resolved_at, now=now)
        new["status"] = target.value
    if "resolution" in changes and (target != S.RESOLVED or current == S.RESOLVED):
        raise ValidationFailed("resolution", N_("Give a resolution when resolving the ticket."))
    if target == S.RESOLVED and current != S.RESOLVED:
        note = (changes.get("resolution") or "").strip()
        if not note:
            raise ValidationFailed("resolution", N_("Resolving a ticket needs a resolution note."))
        new["resolution"] = note

    changed = _apply(session, actor, ticket, new, now)
    if actor.is_it and changed & TRIAGE_FIELDS:
        count_outcomes(session, ticket, changed & TRIAGE_FIELDS)
    if "status" in changed:
        changed |= _status_side_effects(session, actor, ticket, current, target, now)
    if not changed:
        return ticket
    ticket.version += 1
    ticket.updated_at = now
    session.flush()
    if changed & SLA_FIELDS:
        apply_sla(session, ticket, now)
    if "assignee" in changed and ticket.assignee_id is not None:
        note_assignment(session, ticket.assignee_id, now)
        _notify(session, ticket, "ticket_assigned", [ticket.assignee_id])
    if "status" in changed and target == S.RESOLVED:
        _notify(
            session, ticket, "ticket_resolved", [ticket.requester_id], resolution=ticket.resolution
        )
    return ticket


def _check_requester_change(actor: Actor, ticket: Ticket, changes: dict[str, Any]) -> None:
    if ticket.requester_id != actor.user_id:
        raise Forbidden(N_("You may change only tickets you filed."))
    others = sorted(set(changes) - {"status"})
    if others:
        raise Forbidden(
            N_("Only the servicedesk changes %(fields)s."),
            errors={f: [N_("Only the servicedesk changes this field.")] for f in others},
            params={"fields": ", ".join(others)},
        )
    wanted = S(changes["status"])
    reopen = lifecycle.is_reopen(ticket.status, wanted)
    if wanted != S.CANCELLED and not reopen:
        raise Forbidden(
            N_("You may only cancel your ticket, or reopen it within 14 days of its resolution."),
            errors={"status": [N_("Only cancelled, or in_progress to reopen a resolved ticket.")]},
        )


def _target_status(ticket: Ticket, current: S, changes: dict[str, Any], new: dict[str, Any]) -> S:
    """The status after the change: the one asked for, or the one an (un)assignment implies."""
    assignee = new.get("assignee", ticket.assignee_id)
    if changes.get("status") is not None:
        target = S(changes["status"])
        if target == S.ASSIGNED and assignee is None:
            raise ValidationFailed("assignee", N_("An assigned ticket needs an assignee."))
        return target
    if "assignee" in new:
        if current == S.NEW and assignee is not None:
            return S.ASSIGNED
        if current == S.ASSIGNED and assignee is None:
            return S.NEW
    return current


def _apply(
    session: Session, actor: Actor, ticket: Ticket, new: dict[str, Any], now: datetime
) -> set[str]:
    changed: set[str] = set()
    assert ticket.id is not None
    for field, value in new.items():
        attribute = ATTRIBUTES[field]
        old = getattr(ticket, attribute)
        if old == value:
            continue
        setattr(ticket, attribute, value)
        history.record(session, ticket.id, actor, now, field, old, value)
        changed.add(field)
    return changed


def _status_side_effects(
    session: Session, actor: Actor, ticket: Ticket, old: S, new: S, now: datetime
) -> set[str]:
    """The facts a status change sets: first response, resolution time, reopen."""
    assert ticket.id is not None
    changed: set[str] = set()
    if new == S.IN_PROGRESS and _is_agent(actor) and ticket.responded_at is None:
        changed |= _respond(session, actor, ticket, now)
    if new == S.RESOLVED:
        history.record(session, ticket.id, actor, now, "resolved_at", ticket.resolved_at, now)
        ticket.resolved_at = now
        changed.add("resolved_at")
    if lifecycle.is_reopen(old, new):
        history.record(session, ticket.id, actor, now, "resolved_at", ticket.resolved_at, None)
        history.record(session, ticket.id, actor, now, "resolution", ticket.resolution, None)
        ticket.resolved_at = None
        ticket.resolution = None
        changed |= {"resolved_at", "resolution"}
    return changed


def _is_agent(actor: Actor) -> bool:
    return actor.user_id is not None and actor.has(Role.AGENT)


def _respond(session: Session, actor: Actor, ticket: Ticket, now: datetime) -> set[str]:
    assert ticket.id is not None
    ticket.responded_at = now
    history.record(session, ticket.id, actor, now, "responded_at", None, now)
    return {"responded_at"}


def add_comment(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    *,
    now: datetime | None = None,
) -> TicketComment:
    """Comment on a ticket the actor can see; an agent's first public one is the first response."""
    now = now or utcnow()
    if internal and actor.is_municipal:
        raise Forbidden(
            N_("Only the IT unit writes internal comments."),
            errors={"internal": [N_("Only the IT unit writes internal comments.")]},
        )
    if S(ticket.status) in FINAL_STATUSES:
        raise Conflict(
            N_("A %(status)s ticket takes no more comments."), params={"status": str(ticket.status)}
        )
    body = body.strip()
    if not body:
        raise ValidationFailed("body", N_("A comment needs text."))
    assert ticket.id is not None
    comment = TicketComment(
        ticket_id=ticket.id, author_id=actor.user_id, body=body, internal=internal, created_at=now
    )
    session.add(comment)
    session.flush()
    history.record(session, ticket.id, actor, now, "comment", None, body, internal=internal)
    if internal:
        return comment
    search.index_ticket(session, ticket.id)
    if _is_agent(actor) and ticket.responded_at is None:
        _respond(session, actor, ticket, now)
        ticket.version += 1
        ticket.updated_at = now
        session.flush()
        apply_sla(session, ticket, now)
    recipients = {ticket.requester_id, ticket.assignee_id} - {actor.user_id, None}
    _notify(session, ticket, "ticket_commented", recipients, comment=body)  # type: ignore[arg-type]
    if actor.is_municipal and S(ticket.status) == S.PENDING:
        # The answer the ticket waited for: it resumes (and its SLA clock with it),
        # whichever way the municipality's staff answered (API, web page or mail).
        update_ticket(session, SYSTEM, ticket, {"status": S.IN_PROGRESS.value}, now=now)
    return comment


def _notify(
    session: Session, ticket: Ticket, event: str, user_ids: Iterable[int], **extra: Any
) -> None:
    _notify_each(session, ticket, [(event, i) for i in user_ids], **extra)


def _notify_each(
    session: Session,
    ticket: Ticket,
    events: list[tuple[str, int | None]],
    known: dict[int, str] | None = None,
    **extra: Any,
) -> None:
    """Queue each ``(event, user id)`` e-mail (see ``recipients`` for ``known``)."""
    context = {
        "id": ticket.id,
        "number": ticket.number,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        **extra,
    }
    enqueue_many(session, [(e, to, context) for e, to in recipients(session, events, known)])
