"""``file_ticket``: check what the caller may file, plan the ticket, write it, hand it back."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, make_transient_to_detached

from kommune_ikt.core.auth.actor import Actor
from kommune_ikt.core.errors import Forbidden, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import utcnow
from service_catalog.municipalities import today
from servicedesk.choices import TicketType
from servicedesk.filing.content import Filed, NewTicket
from servicedesk.filing.plan import AutoRoute, plan
from servicedesk.filing.write import write
from servicedesk.models import Ticket
from servicedesk.queues import check_assignable, note_assignment
from servicedesk.snapshot import Reference, reference

# Fields only the IT unit sets when filing a ticket in its own name.
IT_ONLY_FIELDS = ("municipality", "queue", "assignee")


def file_ticket(
    session: Session,
    actor: Actor,
    new: NewTicket,
    *,
    now: datetime | None = None,
    auto_route: AutoRoute | None = None,
) -> Filed:
    """File a ticket: routed (or placed in the given queue), numbered, maybe auto-assigned,
    SLA-timed, with its history and e-mails; the one way every caller creates a ticket.

    ``auto_route`` (``triage.store.auto_router``, when ``TRIAGE_AUTO_ROUTE`` is on)
    places a ticket no routing rule claims in the model's confident queue.
    """
    now = now or utcnow()
    ref = reference(session)
    on_behalf = new.requester_id is not None
    municipality = new.municipality if on_behalf else _own_municipality(ref, actor, new)
    if new.service_code is not None:
        ref.check_service(new.service_code)
    if new.queue is not None:
        ref.queue(new.queue)
    if new.assignee is not None:
        check_assignable(session, [new.assignee], "assignee")
    requester = new.requester_id if on_behalf else actor.user_id
    if requester is None:
        raise ValidationFailed("requester", N_("The system cannot file tickets in its own name."))
    if municipality is None:
        raise ValidationFailed("municipality", N_("IT staff must name the municipality."))
    new = dataclasses.replace(new, municipality=municipality, requester_id=requester)

    rows, sla = plan(session, ref, actor, new, now=now, auto_route=auto_route)
    if new.assignee is not None:
        note_assignment(session, new.assignee, now)
    ticket_id, number, assignee, status = write(session, TicketType(new.type), now, rows)
    stored = {**rows.ticket, "id": ticket_id, "number": number, "assignee_id": assignee,
              "status": status}  # fmt: skip
    return Filed(_as_loaded(session, stored), sla)


def _own_municipality(ref: Reference, actor: Actor, new: NewTicket) -> str:
    """The municipality an actor filing in its own name files for, refusing what the
    actor may not set."""
    if actor.is_municipal:
        given = [f for f in IT_ONLY_FIELDS if getattr(new, f) is not None]
        if given:
            raise Forbidden(
                N_("Only the IT unit sets %(fields)s."),
                errors={f: [N_("Only the IT unit sets this field.")] for f in given},
                params={"fields": ", ".join(given)},
            )
        municipality = actor.municipality
    else:
        municipality = new.municipality
        if not municipality:
            raise ValidationFailed("municipality", N_("IT staff must name the municipality."))
    assert municipality is not None
    if not ref.member(municipality).is_member_on(today()):
        raise ValidationFailed(
            "municipality",
            N_("%(number)s is not a current member."),
            params={"number": municipality},
        )
    return municipality


_TICKET = sa.inspect(Ticket)


def _as_loaded(session: Session, stored: dict[str, Any]) -> Ticket:
    """The ORM object of the ticket just written, in the session as if loaded (later
    changes in the transaction go through the ORM as usual), made as the ORM's own
    loading makes one: ``Ticket(...)`` (SQLModel's constructor) cost a tenth of a
    creation."""
    ticket = _TICKET.class_manager.new_instance()
    sa.inspect(ticket).dict.update(stored)
    make_transient_to_detached(ticket)
    session.add(ticket)
    return ticket
