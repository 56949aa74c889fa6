"""The desk's views (built-in, one per queue, saved ones): which tickets each holds, their
counts in one query, and a page of a view's tickets by due time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor
from kommune_ikt.core.errors import NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import Page, decode_cursor, encode_cursor
from kommune_ikt.core.types import UTCDateTime
from portal.desk.badges import WARNING_SECONDS
from portal.desk.filters import OPEN, Filters, filter_condition, filters_of_query
from portal.desk.models import SavedView
from servicedesk.choices import TicketStatus
from servicedesk.models import Queue, Ticket
from servicedesk.queries import VIEW_COLUMNS, visible_tickets
from servicedesk.sla.clock import BusinessClock, ClockError
from servicedesk.sla.models import TicketSla
from servicedesk.sla.state import load_clocks

# The built-in views, in menu order; queues and saved views follow.
BUILT_IN = ("mine", "unassigned", "soon", "breached", "pending")
# Sort keys of tickets without an armed deadline: breached ones first, paused ones last.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 1, 1, tzinfo=UTC)


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
