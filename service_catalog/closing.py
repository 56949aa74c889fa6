"""Guards that keep a closed budget year's figures put: edits that would change one are 409.

A closed year's reports are served from the figures frozen at closing (see
``budget_years``); these checks refuse, at the time they are made, the edits
that would make the live books disagree with them.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.errors import Conflict
from kommune_ikt.core.messages import N_
from service_catalog.models import BudgetYear


def closed_years(session: Session) -> dict[int, BudgetYear]:
    return {
        b.year: b for b in session.scalars(sa.select(BudgetYear).order_by(col(BudgetYear.year)))
    }


def is_closed(session: Session, year: int) -> bool:
    return session.get(BudgetYear, year) is not None


def refuse_closed_year(session: Session, year: int, field: str, what: str) -> None:
    """409 when ``year`` is closed: ``what`` would change its figures."""
    if is_closed(session, year):
        raise Conflict(
            N_("Budget year %(year)s is closed: %(what)s would change its figures."),
            errors={field: [N_("Budget year %(year)s is closed.")]},
            params={"year": year, "what": what},
        )


def refuse_days_in_closed_year(
    session: Session, start: date | None, end: date | None, field: str, what: str
) -> None:
    """409 when the days from ``start`` to ``end`` (exclusive; None: open) touch a closed year."""
    if start is None:
        return
    for year in closed_years(session):
        first, after = date(year, 1, 1), date(year + 1, 1, 1)
        if start < after and (end is None or end > first):
            raise Conflict(
                N_("Budget year %(year)s is closed: %(what)s would change its figures."),
                errors={field: [N_("Budget year %(year)s is closed.")]},
                params={"year": year, "what": what},
            )


def changed_span(old: date | None, new: date | None) -> tuple[date | None, date | None]:
    """The days whose state differs when a boundary date moves from ``old`` to ``new``.

    ``None`` stands for "never" (an open end), so it sorts after every date.
    """
    if old == new:
        return None, None
    if old is None or new is None:
        return (new if old is None else old), None
    return min(old, new), max(old, new)


def refuse_population_year(session: Session, number: str, year: int) -> None:
    """409 when a closed year's weighted keys used the populations of ``year``."""
    for closed in closed_years(session).values():
        if year in closed.population_years:
            raise Conflict(
                N_(
                    "Budget year %(closed)s is closed and its allocation used the "
                    "%(year)s populations; %(number)s's %(year)s figure cannot change."
                ),
                errors={"population": [N_("Used by closed budget year %(closed)s.")]},
                params={"closed": closed.year, "year": year, "number": number},
            )


def refuse_key(session: Session, name: str) -> None:
    """409 when a closed year's basic services were shared by key ``name``."""
    for closed in closed_years(session).values():
        if name in closed.allocation_keys:
            raise Conflict(
                N_(
                    "Budget year %(closed)s is closed and its basic services were shared by "
                    "%(name)r; create a new key for later years instead."
                ),
                errors={"name": [N_("Used by closed budget year %(closed)s.")]},
                params={"closed": closed.year, "name": name},
            )
