"""Use cases for budget years: close one (freezing its cost reports), list them with state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.errors import Conflict
from kommune_ikt.core.messages import N_
from service_catalog import allocation, closing
from service_catalog.catalogue import check_year
from service_catalog.choices import PriceModel
from service_catalog.keys import load_keys
from service_catalog.models import BudgetYear, FrozenCostReport, ServicePrice
from service_catalog.reports import build as cost_reports
from service_catalog.reports.values import to_json

CLOSERS = (Role.CATALOGUE_MANAGER,)


@dataclass
class BudgetYearView:
    year: int
    state: str
    closed_at: datetime | None = None
    closed_by: int | None = None


def list_years(session: Session, actor: Actor) -> list[BudgetYearView]:
    """Every year with a price or closed, oldest first, with its state."""
    closed = closing.closed_years(session)
    priced = set(session.scalars(sa.select(col(ServicePrice.year)).distinct()))
    return [
        BudgetYearView(year, "closed", closed[year].closed_at, closed[year].closed_by)
        if year in closed
        else BudgetYearView(year, "open")
        for year in sorted(priced | set(closed))
    ]


def close_year(session: Session, actor: Actor, year: int, currency: str = "NOK") -> BudgetYearView:
    """Freeze ``year``: its reports as of now are what it serves from here on."""
    actor.require(*CLOSERS)
    check_year(year)
    # Serialise closings of the same year: the second sees the first's row.
    if session.get(BudgetYear, year, with_for_update=True) is not None:
        raise Conflict(
            N_("Budget year %(year)s is already closed."),
            errors={"year": [N_("Closed.")]},
            params={"year": year},
        )
    collaboration = cost_reports.collaboration_report(session, actor, year, currency)
    frozen: dict[str, dict[str, Any]] = {"*": to_json(collaboration)}
    for row in collaboration.municipalities:
        report = cost_reports.municipality_report(session, actor, year, row.municipality, currency)
        frozen[row.municipality] = to_json(report)
    keys = load_keys(session)
    used = sorted(
        {
            price.allocation_key
            for price in session.scalars(
                sa.select(ServicePrice).where(
                    col(ServicePrice.year) == year,
                    col(ServicePrice.model) == PriceModel.ALLOCATION.value,
                )
            )
            if price.allocation_key
        }
    )
    figures = sorted(
        {
            f
            for name in used
            if isinstance(key := keys.get(name), allocation.WeightedKey)
            and (f := key.figures_for(year)) is not None
        }
    )
    closed = BudgetYear(
        year=year, closed_by=actor.user_id, allocation_keys=used, population_years=figures
    )
    session.add(closed)
    session.flush()
    for scope, body in frozen.items():
        session.add(FrozenCostReport(year=year, scope=scope, body=body))
    session.flush()
    return BudgetYearView(year, "closed", closed.closed_at, closed.closed_by)
