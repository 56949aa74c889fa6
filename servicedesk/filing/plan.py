"""Everything a creation decides before it writes: queue, priority, SLA, history, e-mails.

It only reads: the recipients' addresses, and reference data (routing rules,
queues, SLA policies and calendars) when the process's snapshot of it is
stale. The new ticket's SLA is computed without reading anything, so what
reaches the database after this is the agent pick (when the queue
auto-assigns) and one write of every row (write.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kommune_ikt.core.auth.actor import Actor
from notifications.services import outbox_row
from servicedesk import history
from servicedesk.choices import TicketStatus, TicketType
from servicedesk.filing.content import NewTicket
from servicedesk.filing.write import NewRows
from servicedesk.priority import priority_for
from servicedesk.recipients import recipients
from servicedesk.routing import Draft
from servicedesk.rules import route
from servicedesk.sla.state import sla_for_new
from servicedesk.snapshot import Reference

S = TicketStatus

# (session, title, description) -> {queue, model_version, confidence, threshold} or None
AutoRoute = Callable[[Session, str, str], "dict[str, Any] | None"]


def plan(
    session: Session,
    ref: Reference,
    actor: Actor,
    new: NewTicket,
    *,
    now: datetime,
    auto_route: AutoRoute | None = None,
) -> tuple[NewRows, dict[str, Any]]:
    """The rows ``write`` stores (the ticket's without id and number) and its SLA view.

    ``new`` names its municipality and requester. ``auto_route`` (the triage
    model, when ``TRIAGE_AUTO_ROUTE`` is on) places a ticket no routing rule
    claims in the model's confident queue.
    """
    assert new.municipality is not None and new.requester_id is not None
    kind = TicketType(new.type)
    priority = priority_for(new.impact, new.urgency)
    if new.queue is not None:
        queue = ref.queue(new.queue)
        explanation: dict[str, Any] = {"queue": new.queue, "rule": None, "reason": "set by filer"}
    else:
        decision = route(
            ref,
            Draft(
                type=kind.value,
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
    # Auto-assignment is the write's first step (write.py): the queue's lock,
    # then the number counter's, both held until the transaction ends.
    assignee = new.assignee
    pick_queue = queue.code if assignee is None and queue.auto_assign else None
    ticket = dict(
        type=kind.value,
        title=new.title,
        description=new.description,
        municipality_number=new.municipality,
        requester_id=new.requester_id,
        service_code=new.service_code,
        category=new.category,
        impact=new.impact,
        urgency=new.urgency,
        priority=priority,
        status=(S.NEW if assignee is None else S.ASSIGNED).value,
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
    assigned = [(actor, "assignee", None, assignee), (actor, "status", S.NEW, S.ASSIGNED)]
    if assignee is not None:
        entries += assigned
    # New and assigned run the same clocks (test_at_creation_is_derive's "assigned"
    # case), so one computation covers the creation, whether or not the write picks an agent.
    sla_row, sla = sla_for_new(ref, new.municipality, new.service_code, priority, now)
    events = [("ticket_created", new.requester_id)]
    if assignee is not None:
        events.append(("ticket_assigned", assignee))
    known = {actor.user_id: actor.email} if actor.user_id is not None and actor.email else {}
    context = {"title": new.title, "priority": priority}
    rows = NewRows(
        ticket=ticket,
        history=history.rows(now, entries),
        sla=sla_row,
        mails=[outbox_row(e, to, context) for e, to in recipients(session, events, known)],
        pick_queue=pick_queue,
        on_pick_history=history.rows(now, [(None, f, o, n) for _, f, o, n in assigned])
        if pick_queue
        else [],
        on_pick_mails=[outbox_row("ticket_assigned", "", context)] if pick_queue else [],
    )
    return rows, sla.view()
