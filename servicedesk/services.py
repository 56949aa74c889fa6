"""Ticket use cases: create, change and comment, with permissions, routing, history and SLA.

Every change writes its history rows in the same transaction; services
flush, the edge (request, job, CLI) commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlmodel import col

from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.errors import Conflict, Forbidden, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import utcnow
from notifications.services import enqueue_many, outbox_row
from service_catalog.municipalities import today
from servicedesk import catalogue, filing, history, lifecycle, search
from servicedesk.choices import FINAL_STATUSES, TicketStatus, TicketType
from servicedesk.models import Ticket, TicketComment
from servicedesk.priority import priority_for
from servicedesk.queues import check_assignable, find_queue, note_assignment
from servicedesk.reference import Reference, reference
from servicedesk.routing import Draft
from servicedesk.rules import route
from servicedesk.sla.state import apply_sla, sla_for_new
from servicedesk.triage.outcomes import count_outcomes

S = TicketStatus
# Fields only the IT unit sets when filing a ticket.
IT_ONLY_CREATE_FIELDS = ("municipality", "queue", "assignee")
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


# (session, title, description) -> {queue, model_version, confidence, threshold} or None
AutoRoute = Callable[[Session, str, str], "dict[str, Any] | None"]


@dataclass(frozen=True)
class NewTicket:
    """A ticket's content once permissions and references are checked."""

    type: TicketType
    title: str
    description: str
    municipality: str
    requester_id: int
    impact: int
    urgency: int
    service_code: str | None = None
    category: str | None = None
    queue: str | None = None
    assignee: int | None = None
    source: str = "api"


@dataclass(frozen=True)
class Filed:
    """A new ticket with its SLA as the creation computed it (what the response shows).

    ``ticket`` is the stored row's values as attributes (every column but the
    search document), not an ORM object: building one costs more than routing
    and timing the ticket, and the API only shows it. ``attach`` makes it one.
    """

    ticket: SimpleNamespace
    sla: dict[str, Any]


def create_ticket(
    session: Session,
    actor: Actor,
    data: dict[str, Any],
    *,
    now: datetime | None = None,
    source: str = "api",
    auto_route: AutoRoute | None = None,
) -> Ticket:
    """File a ticket: routed (or placed in the given queue), numbered, assigned, SLA-timed."""
    filed = file_ticket(session, actor, data, now=now, source=source, auto_route=auto_route)
    return attach(session, filed.ticket)


def attach(session: Session, stored: SimpleNamespace) -> Ticket:
    """The ORM object of a ticket this transaction has just stored, in the session as if
    loaded: later changes in the transaction (fulfilment) go through the ORM as usual."""
    ticket = Ticket(**vars(stored))
    make_transient_to_detached(ticket)
    session.add(ticket)
    return ticket


def file_ticket(
    session: Session,
    actor: Actor,
    data: dict[str, Any],
    *,
    now: datetime | None = None,
    source: str = "api",
    auto_route: AutoRoute | None = None,
) -> Filed:
    """``create_ticket``, with the new ticket's SLA view (what the API responds with);
    ``source`` says how it came in (``api``, ``web``, ``email`` ...).

    ``auto_route`` (triage.store.confident_queue, when ``TRIAGE_AUTO_ROUTE`` is on)
    places a ticket no routing rule claims in the model's confident queue."""
    ref = reference(session)
    if actor.is_municipal:
        given = [f for f in IT_ONLY_CREATE_FIELDS if data.get(f) is not None]
        if given:
            raise Forbidden(
                N_("Only the IT unit sets %(fields)s."),
                errors={f: [N_("Only the IT unit sets this field.")] for f in given},
                params={"fields": ", ".join(given)},
            )
        municipality = actor.municipality
    else:
        municipality = data.get("municipality")
        if not municipality:
            raise ValidationFailed("municipality", N_("IT staff must name the municipality."))
    assert municipality is not None
    if not ref.member(municipality).is_member_on(today()):
        raise ValidationFailed(
            "municipality",
            N_("%(number)s is not a current member."),
            params={"number": municipality},
        )
    if data.get("service_code") is not None:
        ref.check_service(data["service_code"])
    if data.get("queue") is not None:
        ref.queue(data["queue"])
    if data.get("assignee") is not None:
        check_assignable(session, [data["assignee"]], "assignee")
    if actor.user_id is None:
        raise ValidationFailed("requester", N_("The system cannot file tickets in its own name."))
    content = NewTicket(
        type=TicketType(data["type"]),
        title=data["title"],
        description=data["description"],
        municipality=municipality,
        requester_id=actor.user_id,
        impact=data["impact"],
        urgency=data["urgency"],
        service_code=data.get("service_code"),
        category=data.get("category"),
        queue=data.get("queue"),
        assignee=data.get("assignee"),
        source=source,
    )
    return _insert(session, actor, content, now=now or utcnow(), ref=ref, auto_route=auto_route)


def insert_ticket(session: Session, actor: Actor, new: NewTicket, *, now: datetime) -> Ticket:
    """Create a checked ticket; ``actor`` is who the history names for the filing."""
    return attach(session, _insert(session, actor, new, now=now).ticket)


def _insert(
    session: Session,
    actor: Actor,
    new: NewTicket,
    *,
    now: datetime,
    ref: Reference | None = None,
    auto_route: AutoRoute | None = None,
) -> Filed:
    """``insert_ticket`` with the SLA view: ``plan_ticket``, then one write (filing.py)."""
    planned = plan_ticket(session, actor, new, now=now, ref=ref, auto_route=auto_route)
    if new.assignee is not None:
        note_assignment(session, new.assignee, now)
    stored = filing.write(session, new.type, now, planned.rows)
    ticket = planned.ticket
    ticket.id, ticket.number = stored.id, stored.number
    ticket.assignee_id, ticket.status = stored.assignee_id, stored.status
    return Filed(ticket, planned.sla)


@dataclass(frozen=True)
class Planned:
    """A new ticket decided but not stored: ``rows`` for ``filing.write``; ``ticket`` (the
    row's values, without id and number) and ``sla`` (its view) for the response."""

    ticket: SimpleNamespace
    rows: filing.NewRows
    sla: dict[str, Any]


def plan_ticket(
    session: Session,
    actor: Actor,
    new: NewTicket,
    *,
    now: datetime,
    ref: Reference | None = None,
    auto_route: AutoRoute | None = None,
) -> Planned:
    """Everything a creation decides before it writes: queue, priority, SLA, history, e-mails.

    It only reads: the recipients' addresses, and reference data (routing rules,
    queues, SLA policies and calendars) when the process's snapshot of it is
    stale. The new ticket's SLA is computed without reading anything, so what
    reaches the database after this is the agent pick (when the queue
    auto-assigns) and one write of every row (filing.py).

    The two locks a creation takes, the queue row (auto-assignment) and the
    number counter row, are held until the transaction ends, so every other
    creator in that queue or of that type waits for them: the queue's is taken
    by the pick, the counter's by the final write, both as late as they can be.
    """
    ref = ref or reference(session)
    priority = priority_for(new.impact, new.urgency)
    if new.queue is not None:
        queue = ref.queue(new.queue)
        explanation: dict[str, Any] = {"queue": new.queue, "rule": None, "reason": "set by filer"}
    else:
        decision = route(
            ref,
            Draft(
                type=new.type.value,
                title=new.title,
                description=new.description,
                municipality=new.municipality,
                priority=priority,
                service_code=new.service_code,
                category=new.category,
            ),
        )
        queue, explanation = decision.queue, decision.explain()
        if decision.rule is None and auto_route is not None:
            # No rule claimed it: the triage model's queue, if confident enough.
            chosen = auto_route(session, new.title, new.description)
            if chosen is not None and chosen["queue"] in ref.queues:
                queue = ref.queues[chosen["queue"]]
                explanation = {"rule": None, "reason": "triage model", **chosen}
    # Auto-assignment is the write's first step (filing.py): the queue's lock,
    # then the number counter's, both held until the transaction ends.
    emails = {actor.user_id: actor.email} if actor.user_id is not None and actor.email else {}
    assignee, by = new.assignee, actor
    pick_queue = queue.code if assignee is None and queue.auto_assign else None
    status = S.NEW if assignee is None else S.ASSIGNED
    ticket = SimpleNamespace(
        type=new.type.value,
        title=new.title,
        description=new.description,
        municipality_number=new.municipality,
        requester_id=new.requester_id,
        service_code=new.service_code,
        category=new.category,
        impact=new.impact,
        urgency=new.urgency,
        priority=priority,
        status=status.value,
        queue_code=queue.code,
        assignee_id=assignee,
        resolution=None,
        source=new.source,
        responded_at=None,
        resolved_at=None,
        created_at=now,
        updated_at=now,
        version=1,
    )
    entries: list[tuple[Actor | None, str, Any, Any]] = [
        (actor, "status", None, S.NEW),
        (None, "routing", None, explanation),
        (None, "queue", None, queue.code),
    ]
    assigned = [(by, "assignee", None, assignee), (by, "status", S.NEW, S.ASSIGNED)]
    if assignee is not None:
        entries += assigned
    # New and assigned run the same clocks (test_at_creation_is_derive's "assigned"
    # case), so one computation covers the creation, whether or not the write picks an agent.
    sla_row, sla = sla_for_new(ref, ticket, now)
    events = [("ticket_created", new.requester_id)]
    if assignee is not None:
        events.append(("ticket_assigned", assignee))
    context = {"title": ticket.title, "priority": ticket.priority}
    rows = filing.NewRows(
        ticket={c: getattr(ticket, c) for c in filing.TICKET_COLUMNS},
        history=history.rows(now, entries),
        sla=sla_row,
        mails=[outbox_row(e, to, context) for e, to in _recipients(session, events, emails)],
        pick_queue=pick_queue,
        on_pick_history=history.rows(now, [(None, f, o, n) for _, f, o, n in assigned])
        if pick_queue
        else [],
        on_pick_mails=[outbox_row("ticket_assigned", "", context)] if pick_queue else [],
    )
    return Planned(ticket, rows, sla.view())


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
    """Queue each ``(event, user id)`` e-mail (see ``_recipients`` for ``known``)."""
    context = {
        "id": ticket.id,
        "number": ticket.number,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        **extra,
    }
    enqueue_many(session, [(e, to, context) for e, to in _recipients(session, events, known)])


def _recipients(
    session: Session, events: Iterable[tuple[str, int | None]], known: dict[int, str] | None
) -> list[tuple[str, str]]:
    """``(event, e-mail)`` of each ``(event, user id)`` whose user is active; ``known`` are
    addresses of active users at hand (the caller, a picked agent), the others are looked
    up in one query."""
    emails = dict(known or {})
    wanted = {i for _, i in events if i is not None} - set(emails)
    if wanted:
        rows = session.execute(
            sa.select(col(User.id), col(User.email)).where(
                col(User.id).in_(wanted), col(User.active).is_(True)
            )
        )
        emails.update({user_id: email for user_id, email in rows if user_id is not None})
    return [(event, emails[i]) for event, i in events if i in emails]
