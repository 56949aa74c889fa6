"""How agreed time is measured for each kind of service hours, from the SLA calendars.

A service with ``service_hours: business`` is only promised inside the
``business`` calendar's open hours (the SLA helper's clock counts them), so
downtime at night or on a public holiday does not count against it. ``24x7``
counts every second. ``extended`` uses a calendar named ``extended`` when an
admin has made one, otherwise every second (the stricter reading).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from metrics import slo
from servicedesk.sla.calendars import spec_of
from servicedesk.sla.clock import clock_for
from servicedesk.sla.models import SlaCalendar

CALENDAR_OF_SERVICE_HOURS = {"business": "business", "extended": "extended"}


def measures_by_service_hours(session: Session) -> dict[str, slo.Measure]:
    """``{service_hours: measure}`` for every kind that has a calendar; others are 24×7."""
    names = set(CALENDAR_OF_SERVICE_HOURS.values())
    calendars = {
        row.name: row
        for row in session.scalars(sa.select(SlaCalendar).where(col(SlaCalendar.name).in_(names)))
    }
    measures: dict[str, slo.Measure] = {}
    for hours, name in CALENDAR_OF_SERVICE_HOURS.items():
        row = calendars.get(name)
        if row is not None:
            measures[hours] = clock_for(spec_of(row.document())).seconds_between
    return measures


def measure_for(session: Session, service_hours: str) -> slo.Measure:
    """The measure of one kind of service hours."""
    return measures_by_service_hours(session).get(service_hours, slo.wall_seconds)
