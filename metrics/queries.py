"""Read side: outage lists, availability and stability of a service, the operations status
board, the SLA report (and its CSV)."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core import csvsafe
from kommune_ikt.core.auth.actor import IT_ROLES, Actor, Role
from kommune_ikt.core.errors import NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import Page, paginate
from kommune_ikt.core.tenancy import scope_to_actor
from kommune_ikt.core.types import utcnow
from metrics import slo
from metrics.calendars import measure_for, measures_by_service_hours
from metrics.models import Outage, Probe
from service_catalog.models import Service
from servicedesk.models import Ticket
from servicedesk.sla.models import TicketSla

DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=3660)


def resolve_window(
    start: datetime | None, end: datetime | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """``from``/``to`` with defaults (the 30 days up to now); 422 when empty or too long."""
    end = end or now or utcnow()
    start = start or end - DEFAULT_WINDOW
    if end <= start:
        raise ValidationFailed("to", N_("Must be after from."))
    if end - start > MAX_WINDOW:
        raise ValidationFailed("from", N_("The window may span at most ten years."))
    return start, end


def _touches_municipality(number: str) -> sa.ColumnElement[bool]:
    # The list holds 4-digit strings, so the quoted number matches exactly one entry.
    return sa.or_(
        col(Outage.municipalities).is_(None),
        sa.cast(col(Outage.municipalities), sa.Text).like(f'%"{number}"%'),
    )


def list_outages(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    cursor: str | None,
    service_code: str | None = None,
    planned: bool | None = None,
    ongoing: bool | None = None,
    municipality: str | None = None,
    current_at: datetime | None = None,
) -> Page[Outage]:
    """Outages, newest start first; municipal callers see those that touch them.

    ``current_at``: only those not ended by then (ongoing, or planned to end or start later).
    """
    municipality = actor.check_municipality_filter(municipality)
    stmt = sa.select(Outage)
    if municipality is not None:
        stmt = stmt.where(_touches_municipality(municipality))
    if service_code is not None:
        stmt = stmt.where(col(Outage.service_code) == service_code)
    if planned is not None:
        stmt = stmt.where(col(Outage.planned).is_(planned))
    if ongoing is not None:
        stmt = stmt.where(
            col(Outage.ended_at).is_(None) if ongoing else col(Outage.ended_at).is_not(None)
        )
    if current_at is not None:
        stmt = stmt.where(sa.or_(col(Outage.ended_at).is_(None), col(Outage.ended_at) > current_at))
    return paginate(session, stmt, [Outage.started_at, Outage.id], limit=limit, cursor=cursor)


def _service(session: Session, code: str) -> Service:
    service = session.get(Service, code)
    if service is None:
        raise NotFound(N_("Service %(code)s not found."), params={"code": code})
    return service


def _outages_in(
    session: Session, code: str, start: datetime, end: datetime, municipality: str | None
) -> list[Outage]:
    stmt = sa.select(Outage).where(
        col(Outage.service_code) == code,
        col(Outage.started_at) < end,
        sa.or_(col(Outage.ended_at).is_(None), col(Outage.ended_at) > start),
    )
    if municipality is not None:
        stmt = stmt.where(_touches_municipality(municipality))
    return list(session.scalars(stmt.order_by(col(Outage.started_at), col(Outage.id))))


def get_availability(
    session: Session,
    actor: Actor,
    code: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    municipality: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Availability, downtime and error budget of a service over [from, to).

    Only unplanned downtime inside the service's agreed hours counts; planned
    outages are listed with ``counted_seconds`` 0. A municipal caller sees its
    own municipality's figures (outages for all or for it).
    """
    now = now or utcnow()
    start, end = resolve_window(start, end, now)
    municipality = actor.check_municipality_filter(municipality)
    service = _service(session, code)
    measure = measure_for(session, service.service_hours)
    rows = _outages_in(session, code, start, end, municipality)
    return _availability_of(service, rows, start, end, now, measure, municipality)


def _availability_of(
    service: Service,
    rows: list[Outage],
    start: datetime,
    end: datetime,
    now: datetime,
    measure: slo.Measure,
    municipality: str | None = None,
) -> dict[str, Any]:
    """The availability figures of ``service`` from its outages ``rows`` (those of the window)."""
    code = service.code
    rows = [o for o in rows if o.started_at < end and (o.ended_at is None or o.ended_at > start)]
    unplanned = [(o.started_at, o.ended_at or now) for o in rows if not o.planned]
    planned = [(o.started_at, o.ended_at or now) for o in rows if o.planned]
    target = None if service.availability_target is None else float(service.availability_target)
    result = slo.availability(
        target if target is not None else 1.0, start, end, unplanned, planned, measure
    )
    return {
        "service_code": code,
        "service_hours": service.service_hours,
        "from_": start,
        "to": end,
        "municipality": municipality,
        "target": target,
        "availability": result.availability,
        "downtime_seconds": result.downtime_seconds,
        "planned_downtime_seconds": result.planned_seconds,
        "window_seconds": result.window_seconds,
        "error_budget_seconds": None if target is None else result.error_budget_seconds,
        "error_budget_remaining": None if target is None else result.error_budget_remaining,
        "outages": [
            {
                "id": o.id,
                "started_at": o.started_at,
                "ended_at": o.ended_at,
                "planned": o.planned,
                "counted_seconds": 0.0
                if o.planned
                else slo.covered_seconds([(o.started_at, o.ended_at or now)], start, end, measure),
            }
            for o in rows
        ],
    }


def get_stability(
    session: Session,
    actor: Actor,
    code: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Outage count, downtime, MTTR, MTBF and the longest outage of [from, to) (unplanned only)."""
    now = now or utcnow()
    start, end = resolve_window(start, end, now)
    service = _service(session, code)
    measure = measure_for(session, service.service_hours)
    rows = [
        o
        for o in _outages_in(session, code, start, end, actor.check_municipality_filter(None))
        if not o.planned
    ]
    intervals = [(o.started_at, o.ended_at or now) for o in rows]
    result = slo.stability(start, end, intervals, now, measure)
    longest = max(
        (o for o in rows if start <= o.started_at < end),
        key=lambda o: measure(o.started_at, min(o.ended_at or now, now)),
        default=None,
    )
    return {
        "service_code": code,
        "from_": start,
        "to": end,
        **asdict(result),
        "longest_outage_id": None if longest is None else longest.id,
    }


@dataclass
class StatusLine:
    """One line of the operations status board: a service's figures over two windows."""

    service: Service
    last_days: dict[str, Any]  # the get_availability figures of the last ``days`` days
    this_year: dict[str, Any]  # ... and of this calendar year (in the deployment's zone) so far
    open_outages: list[Outage]  # ongoing now, or planned to start later
    daily: list[tuple[datetime, float]]  # (local day start, availability) for the last ``days``
    probes: list[Probe] | None  # None: the actor may not read probes


def get_status_board(
    session: Session,
    actor: Actor,
    *,
    tz: ZoneInfo,
    days: int = 30,
    now: datetime | None = None,
) -> list[StatusLine]:
    """Every active service's availability (last ``days`` days, this year, day by day),
    open outages and probe state, for IT roles.

    Four queries whatever the number of services or days (services, calendars, the
    outages of the year, probes); the figures come from the same arithmetic as
    ``get_availability``, so the board and GET /services/{code}/availability agree.
    """
    actor.require(*IT_ROLES)
    now = now or utcnow()
    recent = now - timedelta(days=days)
    local = now.astimezone(tz)
    year_start = datetime(local.year, 1, 1, tzinfo=tz).astimezone(UTC)
    first_day = datetime.combine(local.date() - timedelta(days=days - 1), time(), tzinfo=tz)
    earliest = min(recent, year_start, first_day.astimezone(UTC))
    services = list(
        session.scalars(
            sa.select(Service).where(col(Service.status) == "active").order_by(col(Service.code))
        )
    )
    measures = measures_by_service_hours(session)
    by_service: dict[str, list[Outage]] = {}
    outage_rows = session.scalars(
        sa.select(Outage)
        .where(sa.or_(col(Outage.ended_at).is_(None), col(Outage.ended_at) > earliest))
        .order_by(col(Outage.started_at), col(Outage.id))
    )
    for outage in outage_rows:
        by_service.setdefault(outage.service_code, []).append(outage)
    probes: dict[str, list[Probe]] | None = None
    if actor.has(Role.OPERATIONS):
        probes = {}
        for probe in session.scalars(
            sa.select(Probe).order_by(col(Probe.service_code), col(Probe.id))
        ):
            probes.setdefault(probe.service_code, []).append(probe)
    day_starts = [
        datetime.combine(first_day.date() + timedelta(days=i), time(), tzinfo=tz)
        for i in range(days + 1)
    ]
    board = []
    for service in services:
        measure = measures.get(service.service_hours, slo.wall_seconds)
        rows = by_service.get(service.code, [])
        daily = []
        for day, next_day in itertools.pairwise(day_starts):
            start, end = day.astimezone(UTC), min(next_day.astimezone(UTC), now)
            figures = _availability_of(service, rows, start, end, now, measure)
            daily.append((day, figures["availability"]))
        board.append(
            StatusLine(
                service=service,
                last_days=_availability_of(service, rows, recent, now, now, measure),
                this_year=_availability_of(service, rows, year_start, now, now, measure),
                open_outages=[o for o in rows if o.ended_at is None or o.ended_at > now],
                daily=daily,
                probes=None if probes is None else probes.get(service.code, []),
            )
        )
    return board


@dataclass
class SlaReportRow:
    municipality: str
    priority: int
    tickets: int
    response_met: int
    response_breached: int
    response_compliance: float | None
    resolution_met: int
    resolution_breached: int
    resolution_compliance: float | None
    breaches: int


def get_sla_report(
    session: Session,
    actor: Actor,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    municipality: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Per municipality × priority: tickets created in [from, to) and how their targets went.

    A target is *met* once the ticket was responded to (resolved) without the
    target being breached, *breached* once the SLA sweep recorded it; tickets
    whose target is still running count in neither. One grouped query.
    """
    actor.require(Role.ORDERER, *IT_ROLES)
    start, end = resolve_window(start, end, now)
    municipality = actor.check_municipality_filter(municipality)

    def total(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    response_breached = sa.func.coalesce(TicketSla.response_breached, sa.false())
    resolution_breached = sa.func.coalesce(TicketSla.resolution_breached, sa.false())
    stmt = (
        sa.select(
            col(Ticket.municipality_number),
            col(Ticket.priority),
            sa.func.count(),
            total(sa.and_(col(Ticket.responded_at).is_not(None), sa.not_(response_breached))),
            total(response_breached),
            total(sa.and_(col(Ticket.resolved_at).is_not(None), sa.not_(resolution_breached))),
            total(resolution_breached),
        )
        .outerjoin(TicketSla, col(TicketSla.ticket_id) == col(Ticket.id))
        .where(col(Ticket.created_at) >= start, col(Ticket.created_at) < end)
        .group_by(col(Ticket.municipality_number), col(Ticket.priority))
        .order_by(col(Ticket.municipality_number), col(Ticket.priority))
    )
    stmt = scope_to_actor(stmt, actor, col(Ticket.municipality_number))
    if municipality is not None:
        stmt = stmt.where(col(Ticket.municipality_number) == municipality)
    rows = []
    for number, priority, count, r_met, r_missed, s_met, s_missed in session.execute(stmt):
        rows.append(
            SlaReportRow(
                municipality=number,
                priority=int(priority),
                tickets=int(count),
                response_met=int(r_met),
                response_breached=int(r_missed),
                response_compliance=_ratio(r_met, r_missed),
                resolution_met=int(s_met),
                resolution_breached=int(s_missed),
                resolution_compliance=_ratio(s_met, s_missed),
                breaches=int(r_missed) + int(s_missed),
            )
        )
    return {"from_": start, "to": end, "rows": [asdict(r) for r in rows]}


def _ratio(met: int, missed: int) -> float | None:
    decided = int(met) + int(missed)
    return int(met) / decided if decided else None


SLA_CSV_COLUMNS = [f for f in SlaReportRow.__dataclass_fields__]


def sla_report_csv(rows: list[dict[str, Any]]) -> str:
    """The SLA report's rows as RFC 4180 CSV (the API's and the web page's download)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SLA_CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        # Every cell through the one formula-injection guard (numbers stay numbers).
        writer.writerow({k: "" if v is None else csvsafe.cell(v) for k, v in row.items()})
    return out.getvalue()
