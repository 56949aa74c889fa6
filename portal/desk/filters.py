"""An agent's filters on the desk (the API's ticket filters plus the service): parsed from
a query string, kept by a saved view, and their SQL condition."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor
from kommune_ikt.core.errors import ValidationFailed
from kommune_ikt.core.messages import N_
from servicedesk import search
from servicedesk.choices import OPEN_STATUSES, TicketStatus
from servicedesk.models import Ticket

OPEN = tuple(sorted(s.value for s in OPEN_STATUSES))
STATUS_FILTERS = ("open", "all", *(s.value for s in TicketStatus))
MUNICIPALITY = re.compile(r"^\d{4}$")
# The longest filters a saved view keeps (as a query string).
MAX_QUERY = 1000


@dataclass(frozen=True)
class Filters:
    """What an agent filters a view on (the API's ticket filters plus the service)."""

    status: str = "open"
    queue: str | None = None
    municipality: str | None = None
    priority: int | None = None
    service_code: str | None = None
    assignee: str | None = None
    q: str | None = None

    def query(self) -> str:
        """The filters as a query string (what a saved view stores)."""
        values = {
            "status": None if self.status == "open" else self.status,
            "queue": self.queue,
            "municipality": self.municipality,
            "priority": self.priority,
            "service_code": self.service_code,
            "assignee": self.assignee,
            "q": self.q,
        }
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    @property
    def empty(self) -> bool:
        return self == Filters()


FILTER_NAMES = tuple(Filters.__dataclass_fields__)


def parse_filters(args: Mapping[str, Any]) -> Filters:
    """Filters from a query string's values; a value no filter takes is a 422 naming it."""

    def text(name: str) -> str | None:
        value = args.get(name)
        value = str(value).strip() if value is not None else ""
        return value or None

    status = text("status") or "open"
    if status not in STATUS_FILTERS:
        raise ValidationFailed("status", N_("Ukjent status %(status)s."), params={"status": status})
    priority = text("priority")
    if priority is not None and priority not in {"1", "2", "3", "4"}:
        raise ValidationFailed("priority", N_("Prioritet er 1, 2, 3 eller 4."))
    assignee = text("assignee")
    if assignee is not None and assignee not in {"me", "none"} and not assignee.isdigit():
        raise ValidationFailed("assignee", N_("Saksbehandler er me, none eller en bruker-id."))
    municipality = text("municipality")
    if municipality is not None and not MUNICIPALITY.match(municipality):
        raise ValidationFailed("municipality", N_("Et kommunenummer har fire sifre."))
    q = text("q")
    if q is not None and len(q) > 200:
        raise ValidationFailed("q", N_("Høyst 200 tegn."))
    return Filters(
        status=status,
        queue=text("queue"),
        municipality=municipality,
        priority=int(priority) if priority else None,
        service_code=text("service_code"),
        assignee=assignee,
        q=q,
    )


def filters_of_query(query: str) -> Filters:
    return parse_filters(dict(parse_qsl(query)))


def filter_condition(session: Session, actor: Actor, filters: Filters) -> Any:
    """The SQL condition of ``filters`` (as GET /tickets reads the same names)."""
    clauses: list[Any] = []
    if filters.status == "open":
        clauses.append(col(Ticket.status).in_(OPEN))
    elif filters.status != "all":
        clauses.append(Ticket.status == filters.status)
    if filters.queue is not None:
        clauses.append(Ticket.queue_code == filters.queue)
    if filters.municipality is not None:
        clauses.append(Ticket.municipality_number == filters.municipality)
    if filters.priority is not None:
        clauses.append(Ticket.priority == filters.priority)
    if filters.service_code is not None:
        clauses.append(Ticket.service_code == filters.service_code)
    if filters.assignee == "none":
        clauses.append(col(Ticket.assignee_id).is_(None))
    elif filters.assignee == "me":
        clauses.append(Ticket.assignee_id == actor.user_id)
    elif filters.assignee is not None:
        clauses.append(Ticket.assignee_id == int(filters.assignee))
    if filters.q:
        clauses.append(search.search_clause(session, filters.q))
    return sa.and_(sa.true(), *clauses)
