"""What a caller files (``NewTicket``) and what it gets back (``Filed``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from servicedesk.models import Ticket


@dataclass(frozen=True)
class NewTicket:
    """A ticket to file, as the API's create body names its fields.

    ``requester_id`` None: the actor files in its own name (API, web page, mail
    from a known sender) and what it may set is checked: a municipality's users
    file for their own municipality and never set ``municipality``, ``queue`` or
    ``assignee``; IT staff name the municipality, which must be a current member.

    ``requester_id`` given: a use case files on that user's behalf (an approved
    order, an unplanned outage, an accepted quarantined mail) and names the
    municipality itself; the actor is who the history names for the filing.
    """

    type: str  # a TicketType value
    title: str
    description: str
    impact: int
    urgency: int
    service_code: str | None = None
    category: str | None = None
    municipality: str | None = None
    queue: str | None = None
    assignee: int | None = None
    requester_id: int | None = None
    source: str = "api"  # how it came in: api, web, email, order, outage


@dataclass(frozen=True)
class Filed:
    """A filed ticket: the ORM object (in the session, as if loaded, so later changes in
    the transaction go through the ORM as usual) and its SLA as the API shows it."""

    ticket: Ticket
    sla: dict[str, Any]
