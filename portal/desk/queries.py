"""Read side of the desk: queue views and their counts, a view's tickets by due time, SLA
badges, one ticket's timeline, and which colleagues are on a ticket right now."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.errors import NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import Page, decode_cursor, encode_cursor
from kommune_ikt.core.types import UTCDateTime
from metrics.models import Outage
from notifications.models import Notification
from portal.desk.models import SavedView, TicketView
from service_catalog.models import Order
from servicedesk import search
from servicedesk.attachments.services import list_attachments
from servicedesk.choices import HISTORY_COMMENT, HISTORY_ROUTING, OPEN_STATUSES, TicketStatus
from servicedesk.mail.models import MailMessage
from servicedesk.models import Queue, Ticket, TicketHistory
from servicedesk.queries import VIEW_COLUMNS, list_comments, list_history, visible_tickets
from servicedesk.queues import ASSIGNABLE_ROLES
from servicedesk.sla.clock import BusinessClock, ClockError
from servicedesk.sla.models import SlaEvent, TicketSla
from servicedesk.sla.state import load_clocks, policy_snapshots

OPEN = tuple(sorted(s.value for s in OPEN_STATUSES))
# Business time left under which a badge warns, and under which it is urgent.
WARNING_SECONDS = 60 * 60
URGENT_SECONDS = 30 * 60
# How far back a colleague's look at (or change of) a ticket counts as "right now".
RECENT = timedelta(minutes=5)
# A page view is written at most this often per agent and ticket.
VIEW_EVERY = timedelta(minutes=1)
# The built-in views, in menu order; queues and saved views follow.
BUILT_IN = ("mine", "unassigned", "soon", "breached", "pending")
STATUS_FILTERS = ("open", "all", *(s.value for s in TicketStatus))
MUNICIPALITY = re.compile(r"^\d{4}$")
MAX_QUERY = 1000
# Sort keys of tickets without an armed deadline: breached ones first, paused ones last.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 1, 1, tzinfo=UTC)


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


@dataclass(frozen=True)
class DeskView:
    """One entry of the desk's view menu: a built-in view, a queue or a saved view."""

    key: str
    kind: str  # mine, unassigned, soon, breached, pending, queue, saved, filter
    name: str | None = None
    filters: Filters | None = None
    saved: SavedView | None = None


def desk_views(session: Session, actor: Actor) -> list[DeskView]:
    """The built-in views, one per queue, then the saved views the actor may see."""
    views = [DeskView(key, key) for key in BUILT_IN]
    for code, name in session.execute(
        sa.select(col(Queue.code), col(Queue.name)).order_by(col(Queue.code))
    ):
        views.append(DeskView(f"queue:{code}", "queue", name=name, filters=Filters(queue=code)))
    for saved in list_saved_views(session, actor):
        views.append(
            DeskView(
                f"saved:{saved.id}",
                "saved",
                name=saved.name,
                filters=_safe_filters(saved.query),
                saved=saved,
            )
        )
    return views


def _safe_filters(query: str) -> Filters:
    try:
        return filters_of_query(query)
    except ValidationFailed:
        # Stored before a filter changed: the view still opens, unfiltered but open tickets.
        return Filters()


def find_view(views: Sequence[DeskView], key: str | None) -> DeskView:
    for view in views:
        if view.key == (key or "mine"):
            return view
    raise NotFound(N_("Fant ikke visningen."))


# -- conditions ---------------------------------------------------------------------


def _breached(now: datetime) -> Any:
    """The ticket has broken a target (recorded by the sweep, or due before now)."""
    return sa.or_(
        col(TicketSla.response_breached),
        col(TicketSla.resolution_breached),
        col(TicketSla.response_breach_at) <= now,
        col(TicketSla.resolution_breach_at) <= now,
    )


def soon_thresholds(clocks: Mapping[str, BusinessClock], now: datetime) -> dict[str, datetime]:
    """Per calendar: the instant one hour of its business time from now (a deadline before
    it is under an hour of business time away, as the badge counts)."""
    out = {}
    for name, clock in clocks.items():
        try:
            out[name] = clock.add(now, timedelta(seconds=WARNING_SECONDS))
        except ClockError:
            continue
    return out


def _soon(thresholds: Mapping[str, datetime]) -> Any:
    per_calendar = [
        sa.and_(
            col(TicketSla.calendar) == name,
            sa.or_(
                col(TicketSla.response_breach_at) < at, col(TicketSla.resolution_breach_at) < at
            ),
        )
        for name, at in thresholds.items()
    ]
    return sa.or_(sa.false(), *per_calendar)


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


def view_condition(
    session: Session,
    actor: Actor,
    view: DeskView,
    now: datetime,
    thresholds: Mapping[str, datetime],
) -> Any:
    """Which tickets belong to ``view``."""
    is_open = col(Ticket.status).in_(OPEN)
    if view.kind == "mine":
        return sa.and_(is_open, col(Ticket.assignee_id) == actor.user_id)
    if view.kind == "unassigned":
        return sa.and_(is_open, col(Ticket.assignee_id).is_(None))
    if view.kind == "pending":
        return Ticket.status == TicketStatus.PENDING.value
    if view.kind == "breached":
        return sa.and_(is_open, _breached(now))
    if view.kind == "soon":
        return sa.and_(is_open, sa.not_(sa.func.coalesce(_breached(now), False)), _soon(thresholds))
    assert view.filters is not None
    return filter_condition(session, actor, view.filters)


def _from(stmt: Any, actor: Actor) -> Any:
    stmt = stmt.select_from(Ticket).outerjoin(TicketSla, TicketSla.ticket_id == Ticket.id)
    return visible_tickets(stmt, actor)


def count_views(
    session: Session, actor: Actor, views: Sequence[DeskView], now: datetime
) -> dict[str, int]:
    """``{view key: number of tickets}`` for every view in one query: one filtered
    ``count(*)`` per view, no ticket read into Python."""
    if not views:
        return {}
    thresholds = soon_thresholds(load_clocks(session), now)
    columns = [
        sa.func.count().filter(view_condition(session, actor, v, now, thresholds)).label(f"v{i}")
        for i, v in enumerate(views)
    ]
    session.flush()
    stmt = _from(sa.select(*columns), actor)
    if all(_open_only(v) for v in views):
        # Every view counts open tickets only: the status index finds those few, where
        # the filters alone read every ticket ever filed (a million: half a second).
        stmt = stmt.where(col(Ticket.status).in_(OPEN))
    row = session.execute(stmt).one()
    return {v.key: int(row[i] or 0) for i, v in enumerate(views)}


def _open_only(view: DeskView) -> bool:
    """The view shows open tickets only (every built-in view does; a filter by status)."""
    if view.kind in BUILT_IN:
        return True
    return view.filters is not None and view.filters.status in ("open", *OPEN)


def _due_key() -> Any:
    """The sort key "due first": breached tickets, then the next armed deadline (response
    or resolution), then tickets whose clocks do not run (pending, no SLA)."""
    response, resolution = col(TicketSla.response_breach_at), col(TicketSla.resolution_breach_at)
    earliest = sa.case(
        (response.is_(None), resolution),
        (resolution.is_(None), response),
        (response < resolution, response),
        else_=resolution,
    )
    return sa.type_coerce(
        sa.case(
            (
                sa.or_(col(TicketSla.response_breached), col(TicketSla.resolution_breached)),
                sa.literal(EARLIEST, UTCDateTime),
            ),
            else_=sa.func.coalesce(earliest, sa.literal(LATEST, UTCDateTime)),
        ),
        UTCDateTime,
    )


_COLUMNS = tuple(Ticket.__table__.c[c] for c in VIEW_COLUMNS)  # type: ignore[attr-defined]


def list_view(
    session: Session,
    actor: Actor,
    view: DeskView,
    now: datetime,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Any]:
    """A page of the view's tickets, the one due first first (keyset on due time, id).

    Rows carry the ticket's columns (what ``servicedesk.queries.present`` reads), the
    calendar of their current SLA target (``sla_calendar``) and the sort key."""
    thresholds = soon_thresholds(load_clocks(session), now)
    due = _due_key().label("due_key")
    stmt = _from(sa.select(*_COLUMNS, col(TicketSla.calendar).label("sla_calendar"), due), actor)
    stmt = stmt.where(view_condition(session, actor, view, now, thresholds))
    key = _due_key()
    if cursor:
        after, after_id = decode_cursor(cursor, [datetime, int])
        stmt = stmt.where(sa.or_(key > after, sa.and_(key == after, Ticket.id > after_id)))
    session.flush()
    rows = list(session.execute(stmt.order_by(key, Ticket.id).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].due_key, rows[-1].id])
    return Page(items=rows, next_cursor=next_cursor)


# -- SLA badges -----------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    """What an SLA badge shows: a state (ok, warning, urgent, breached, paused, stopped,
    none), which target, the business time left (negative once breached) and why the
    clock stands still (``pending``, ``closed``: outside the calendar's hours)."""

    state: str
    target: str | None = None
    seconds: int | None = None
    pause: str | None = None
    due: datetime | None = None


def badge(status: str, sla: Mapping[str, Any], clock: BusinessClock | None, now: datetime) -> Badge:
    """The badge of one ticket from its ``sla`` view (``queries.present``) at ``now``.

    It follows the first response until there is one, then the resolution; a broken
    target shows first. Time counts in the business hours of the ticket's calendar."""
    if status not in OPEN:
        return Badge("stopped")
    if sla.get("response_breached"):
        target = "response"
    elif sla.get("resolution_breached"):
        target = "resolution"
    else:
        target = "response" if sla.get("responded_at") is None else "resolution"
    due = sla.get(f"{target}_due")
    if due is None:
        return Badge("none")
    breached = bool(sla.get(f"{target}_breached")) or due < now
    if clock is None:
        seconds = int((due - now).total_seconds())
    elif breached:
        seconds = -int(clock.seconds_between(due, now))
    else:
        seconds = int(clock.seconds_between(now, due))
    pause = None
    if status == TicketStatus.PENDING.value:
        pause = "pending"
    elif clock is not None and not clock.is_open(now):
        pause = "closed"
    if breached:
        state = "breached"
    elif pause == "pending":
        state = "paused"
    elif seconds < URGENT_SECONDS:
        state = "urgent"
    elif seconds < WARNING_SECONDS:
        state = "warning"
    else:
        state = "ok"
    return Badge(state, target, seconds, pause, due)


def badges(
    session: Session, views: Sequence[Any], calendars: Mapping[int, str | None], now: datetime
) -> dict[int, Badge]:
    """Badges of presented tickets; ``calendars`` by ticket id (None: ask the policy)."""
    clocks = load_clocks(session)
    missing = [v for v in views if not calendars.get(v.id)]
    found = dict(calendars)
    for view, (_set, policy) in zip(missing, policy_snapshots(session, missing), strict=True):
        found[view.id] = policy[str(view.priority)]["calendar"]
    return {v.id: badge(v.status, v.sla, clocks.get(found[v.id] or ""), now) for v in views}


def calendar_of(session: Session, ticket_id: int) -> str | None:
    return session.scalar(
        sa.select(col(TicketSla.calendar)).where(col(TicketSla.ticket_id) == ticket_id)
    )


# -- saved views ----------------------------------------------------------------------


def list_saved_views(session: Session, actor: Actor) -> list[SavedView]:
    """The actor's own views and those shared within the IT unit, by name."""
    stmt = sa.select(SavedView).where(
        sa.or_(col(SavedView.owner_id) == actor.user_id, col(SavedView.shared).is_(True))
    )
    return list(session.scalars(stmt.order_by(col(SavedView.name), col(SavedView.id))))


def get_saved_view(session: Session, actor: Actor, view_id: int) -> SavedView:
    view = session.get(SavedView, view_id)
    if view is None or not (view.shared or view.owner_id == actor.user_id):
        raise NotFound(N_("Fant ikke visningen."))
    return view


# -- people -----------------------------------------------------------------------------


def list_agents(session: Session) -> list[tuple[int, str]]:
    """Active users tickets can be assigned to: ``(id, name or e-mail)`` by name."""
    rows = session.execute(
        sa.select(col(User.id), col(User.name), col(User.email))
        .where(col(User.role).in_(ASSIGNABLE_ROLES), col(User.active).is_(True))
        .order_by(col(User.name), col(User.email))
    )
    return [(i, name or email) for i, name, email in rows if i is not None]


def names_of(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(col(User.id), col(User.name), col(User.email)).where(col(User.id).in_(wanted))
    )
    return {i: name or email for i, name, email in rows if i is not None}


def is_available(session: Session, actor: Actor) -> bool:
    return bool(session.scalar(sa.select(col(User.available)).where(col(User.id) == actor.user_id)))


# -- one ticket -------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Colleague:
    name: str
    did: str  # viewed or changed
    at: datetime


def colleagues_on(session: Session, actor: Actor, ticket_id: int, now: datetime) -> list[Colleague]:
    """Other IT users who opened or changed the ticket in the last few minutes."""
    since = now - RECENT
    seen = session.execute(
        sa.select(col(TicketView.user_id), col(TicketView.seen_at)).where(
            col(TicketView.ticket_id) == ticket_id,
            col(TicketView.user_id) != actor.user_id,
            col(TicketView.seen_at) >= since,
        )
    ).all()
    changed = session.execute(
        sa.select(col(TicketHistory.actor_id), sa.func.max(col(TicketHistory.at)))
        .where(
            col(TicketHistory.ticket_id) == ticket_id,
            col(TicketHistory.actor_id).is_not(None),
            col(TicketHistory.actor_id) != actor.user_id,
            col(TicketHistory.at) >= since,
        )
        .group_by(col(TicketHistory.actor_id))
    ).all()
    it_users = {
        i
        for (i,) in session.execute(
            sa.select(col(User.id)).where(
                col(User.id).in_({u for u, _ in [*seen, *changed]}),
                col(User.role).notin_((Role.REQUESTER.value, Role.ORDERER.value)),
            )
        )
    }
    names = names_of(session, it_users)
    out = [
        Colleague(names[u], "changed", at) for u, at in changed if u is not None and u in it_users
    ]
    out += [Colleague(names[u], "viewed", at) for u, at in seen if u in it_users]
    return sorted(out, key=lambda c: c.at, reverse=True)


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
