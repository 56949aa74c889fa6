"""Everything a cost report for one year needs, read in a fixed number of queries.

Municipalities, the year's prices, keys, subscriptions and their changes,
special requests, populations and participants; plain rows, never written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.errors import ValidationFailed
from kommune_ikt.core.messages import N_
from service_catalog import allocation
from service_catalog.choices import SpecialRequestStatus
from service_catalog.keys import load_keys
from service_catalog.models import (
    Municipality,
    MunicipalityPopulation,
    Service,
    ServiceParticipant,
    ServicePrice,
    SpecialRequest,
    Subscription,
    SubscriptionChange,
)
from service_catalog.municipalities import OSLO

CHARGED_SPECIAL = (
    SpecialRequestStatus.ACCEPTED.value,
    SpecialRequestStatus.IN_PROGRESS.value,
    SpecialRequestStatus.DELIVERED.value,
)
SUBSCRIPTION_COLUMNS = (
    col(Subscription.id),
    col(Subscription.municipality_number),
    col(Subscription.service_code),
    col(Subscription.start_on),
    col(Subscription.end_on),
)
SPECIAL_COLUMNS = (
    col(SpecialRequest.id),
    col(SpecialRequest.municipality_number),
    col(SpecialRequest.service_code),
    col(SpecialRequest.title),
    col(SpecialRequest.status),
    col(SpecialRequest.quote_amount),
    col(SpecialRequest.quote_hours),
    col(SpecialRequest.quote_hourly_rate),
    col(SpecialRequest.actual_hours),
    col(SpecialRequest.accepted_at),
)


@dataclass
class YearData:
    """Everything a report for one year needs, read in a fixed number of queries."""

    year: int
    municipalities: dict[str, Municipality]
    priced: list[tuple[Service, ServicePrice]]
    keys: dict[str, allocation.Key]
    subscriptions: Sequence[sa.Row[*tuple[Any, ...]]]
    changes: dict[int, list[tuple[date, int]]] = field(default_factory=dict)
    specials: Sequence[sa.Row[*tuple[Any, ...]]] = ()
    # (municipality, year) → population; service code → its participants, if named.
    populations: dict[tuple[str, int], int] = field(default_factory=dict)
    participants: dict[str, frozenset[str]] = field(default_factory=dict)
    # The deployment's currency (CURRENCY), in which lines are explained.
    currency: str = "NOK"
    _allocators: dict[tuple[int | None, frozenset[str] | None], allocation.Allocator] = field(
        default_factory=dict
    )

    @cached_property
    def prices(self) -> dict[str, ServicePrice]:
        return {service.code: price for service, price in self.priced}

    def allocator_for(self, service_code: str, key: allocation.Key) -> allocation.Allocator:
        """The year's membership as one service's key sees it: its participants, its figures.

        Services sharing participants and population year share one allocator
        (and so its cached weights and splits).
        """
        figures = key.figures_for(self.year) if isinstance(key, allocation.WeightedKey) else None
        taking_part = self.participants.get(service_code)
        found = self._allocators.get((figures, taking_part))
        if found is not None:
            return found
        members = []
        for m in self.municipalities.values():
            if taking_part is not None and m.number not in taking_part:
                continue
            population = 0
            if figures is not None:
                known = self.populations.get((m.number, figures))
                if known is None and member_in(m, self.year):
                    raise ValidationFailed(
                        errors={
                            "population": [
                                N_("No %(figures)s population figure for %(number)s %(name)s.")
                            ]
                        },
                        detail=N_(
                            "Allocation key %(key)r shares %(year)s by the %(figures)s "
                            "populations, and %(number)s %(name)s has no %(figures)s figure; "
                            "add it with PUT /municipalities/%(number)s/populations/%(figures)s."
                        ),
                        params={
                            "key": key.name,
                            "year": self.year,
                            "figures": figures,
                            "number": m.number,
                            "name": m.name,
                        },
                        municipality=m.number,
                        population_year=figures,
                        allocation_key=key.name,
                    )
                population = known or 0
            members.append(allocation.Member(m.number, population, m.joined_on, m.left_on))
        found = allocation.Allocator.for_year(self.year, members)
        self._allocators[(figures, taking_part)] = found
        return found


def member_in(municipality: Municipality, year: int) -> bool:
    """A member on the first day of some month of ``year`` (so the allocation counts it)."""
    return any(municipality.is_member_on(day) for day in allocation.first_days(year))


def load_year(session: Session, year: int, number: str | None) -> YearData:
    municipalities = {m.number: m for m in session.scalars(sa.select(Municipality))}
    priced: list[tuple[Service, ServicePrice]] = [
        (service, price)
        for service, price in session.execute(
            sa.select(Service, ServicePrice)
            .join(ServicePrice, col(ServicePrice.service_code) == col(Service.code))
            .where(col(ServicePrice.year) == year)
            .order_by(col(Service.code))
        )
    ]
    if not priced:
        raise ValidationFailed(
            "year", N_("No service has a price for budget year %(year)s."), params={"year": year}
        )
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    in_year = sa.and_(
        col(Subscription.start_on) < after,
        sa.or_(col(Subscription.end_on).is_(None), col(Subscription.end_on) > first),
    )
    if number is not None:
        in_year = sa.and_(in_year, col(Subscription.municipality_number) == number)
    # Plain rows, not ORM objects: thousands of subscriptions load several
    # times faster without identity-map bookkeeping, and the report only reads.
    subscriptions = session.execute(
        sa.select(*SUBSCRIPTION_COLUMNS).where(in_year).order_by(col(Subscription.id))
    ).all()
    changes: dict[int, list[tuple[date, int]]] = defaultdict(list)
    rows = session.execute(
        sa.select(
            col(SubscriptionChange.subscription_id),
            col(SubscriptionChange.effective_on),
            col(SubscriptionChange.quantity),
        )
        .join(Subscription, col(Subscription.id) == col(SubscriptionChange.subscription_id))
        .where(in_year)
    )
    for subscription_id, effective_on, quantity in rows:
        changes[subscription_id].append((effective_on, quantity))
    start = datetime(year, 1, 1, tzinfo=OSLO).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=OSLO).astimezone(UTC)
    specials_stmt = sa.select(*SPECIAL_COLUMNS).where(
        col(SpecialRequest.status).in_(CHARGED_SPECIAL),
        col(SpecialRequest.accepted_at) >= start,
        col(SpecialRequest.accepted_at) < end,
    )
    if number is not None:
        specials_stmt = specials_stmt.where(col(SpecialRequest.municipality_number) == number)
    specials = session.execute(specials_stmt.order_by(col(SpecialRequest.id))).all()
    keys = load_keys(session)
    figure_years = {
        figures
        for k in keys.values()
        if isinstance(k, allocation.WeightedKey) and (figures := k.figures_for(year)) is not None
    }
    populations = {
        (number, population_year): population
        for number, population_year, population in session.execute(
            sa.select(
                col(MunicipalityPopulation.municipality_number),
                col(MunicipalityPopulation.year),
                col(MunicipalityPopulation.population),
            ).where(col(MunicipalityPopulation.year).in_(figure_years))
        )
    }
    data = YearData(
        year=year,
        municipalities=municipalities,
        priced=priced,
        keys=keys,
        subscriptions=subscriptions,
        changes=changes,
        specials=specials,
        populations=populations,
        participants={
            code: numbers for (code, _), numbers in participants_of(session, {year}).items()
        },
    )
    unpriced = sorted({s.service_code for s in subscriptions} - set(data.prices))
    if unpriced:
        raise ValidationFailed(
            "year",
            N_(
                "Subscriptions to %(codes)s run in %(year)s, but it has no price for that "
                "budget year."
            )
            if len(unpriced) == 1
            else N_(
                "Subscriptions to %(codes)s run in %(year)s, but they have no price for that "
                "budget year."
            ),
            params={"codes": ", ".join(unpriced), "year": year},
        )
    return data


def participants_of(session: Session, years: set[int]) -> dict[tuple[str, int], frozenset[str]]:
    found: dict[tuple[str, int], set[str]] = defaultdict(set)
    for code, year, number in session.execute(
        sa.select(
            col(ServiceParticipant.service_code),
            col(ServiceParticipant.year),
            col(ServiceParticipant.municipality_number),
        ).where(col(ServiceParticipant.year).in_(years))
    ):
        found[(code, year)].add(number)
    return {k: frozenset(v) for k, v in found.items()}
