"""Cost reports: what each municipality owes for a budget year, line by line, and why.

The database is read in a fixed number of queries (municipalities, the year's
prices, keys, subscriptions and their changes, special requests), whatever
the number of municipalities; the arithmetic is in ``allocation`` (basic) and
``charges`` (optional, special), which never touch the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.errors import ValidationFailed
from kommune_ikt.core.messages import N_
from service_catalog import allocation, charges, closing
from service_catalog.choices import ChargeRule, PriceModel, SpecialRequestStatus, Tier
from service_catalog.keys import load_keys
from service_catalog.models import (
    FrozenCostReport,
    Municipality,
    MunicipalityPopulation,
    Service,
    ServiceParticipant,
    ServicePrice,
    SpecialRequest,
    Subscription,
    SubscriptionChange,
)
from service_catalog.municipalities import OSLO, today
from service_catalog.report_types import (
    CollaborationReport,
    CollaborationRow,
    MunicipalityReport,
    ReportLine,
    Totals,
    UnallocatedLine,
    collaboration_from_json,
    municipality_from_json,
)

TIER_ORDER = {Tier.BASIC.value: 0, Tier.OPTIONAL.value: 1, Tier.SPECIAL.value: 2}
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
REPORT_READERS = (Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS)


@dataclass
class _YearData:
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
                if known is None and _member_in(m, self.year):
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


def _member_in(municipality: Municipality, year: int) -> bool:
    """A member on the first day of some month of ``year`` (so the allocation counts it)."""
    return any(municipality.is_member_on(day) for day in allocation.first_days(year))


# --- entry points -------------------------------------------------------------------


def municipality_report(
    session: Session, actor: Actor, year: int, number: str | None, currency: str = "NOK"
) -> MunicipalityReport:
    """One municipality's lines and totals (orderers: their own; IT roles: any)."""
    actor.require(*REPORT_READERS)
    number = actor.check_municipality_filter(number)
    if number is None:
        raise ValidationFailed(
            "municipality", N_("Name the municipality (or leave it out for all).")
        )
    municipality = session.get(Municipality, number)
    if municipality is None:
        raise ValidationFailed(
            "municipality", N_("Unknown municipality %(number)s."), params={"number": number}
        )
    return _municipality_report(session, year, municipality, currency)


def basic_service_share(
    session: Session, actor: Actor, year: int, code: str, currency: str = "NOK"
) -> Decimal | None:
    """The caller's municipality's share of one basic service in ``year``: the sum of that
    service's lines in its cost report (so the two always agree), for every municipal role,
    since the catalogue shows it to requesters too. None for IT roles (no municipality) and
    when the municipality takes no part in the service that year."""
    if actor.municipality is None:
        return None
    municipality = session.get(Municipality, actor.municipality)
    if municipality is None:
        return None
    report = _municipality_report(session, year, municipality, currency)
    amounts = [
        line.amount
        for line in report.lines
        if line.service_code == code and line.tier == Tier.BASIC.value
    ]
    return sum(amounts, Decimal(0)) if amounts else None


def _municipality_report(
    session: Session, year: int, municipality: Municipality, currency: str
) -> MunicipalityReport:
    number = municipality.number
    if closing.is_closed(session, year):
        frozen = session.get(FrozenCostReport, (year, number))
        if frozen is None:  # not a member that year: nothing was owed
            return MunicipalityReport(year, number, municipality.name, [], Totals().as_money())
        return municipality_from_json(frozen.body)
    data = _load(session, year, number)
    data.currency = currency
    lines = _basic_lines(data, number) + _optional_lines(data) + _special_lines(data)
    lines.sort(key=lambda ln: (TIER_ORDER[ln.tier], ln.service_code, ln.month or "", ln.rule))
    totals = Totals()
    for line in lines:
        totals.add(line.tier, allocation.to_ore(line.amount))
    return MunicipalityReport(year, number, municipality.name, lines, totals.as_money())


def collaboration_report(
    session: Session, actor: Actor, year: int, currency: str = "NOK"
) -> CollaborationReport:
    """Totals per municipality and the collaboration's sums (IT roles)."""
    actor.require(Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS)
    if closing.is_closed(session, year):
        frozen = session.get(FrozenCostReport, (year, "*"))
        if frozen is not None:
            return collaboration_from_json(frozen.body)
    data = _load(session, year, None)
    data.currency = currency
    per: dict[str, Totals] = defaultdict(Totals)
    unallocated: list[UnallocatedLine] = []
    for service, price in data.priced:
        if service.tier != Tier.BASIC:
            continue
        key = _key(data, price)
        allocator = data.allocator_for(service.code, key)
        annual = allocation.to_ore(price.annual_cost or Decimal(0))
        with _explained():
            shares = allocator.totals(annual, key)
        for number, amount in shares.items():
            per[number].basic += amount
        unallocated.extend(_unallocated(data, service, allocator, annual))
    for subscription in data.subscriptions:
        for charge in _subscription_charges(data, subscription):
            per[subscription.municipality_number].optional += charge.amount_ore
    for request in data.specials:
        per[request.municipality_number].special += _special(request, data.currency).amount_ore
    first, last = date(year, 1, 1), date(year, 12, 1)
    numbers = set(per) | {
        n
        for n, m in data.municipalities.items()
        if m.joined_on <= last and (m.left_on is None or m.left_on > first)
    }
    collaboration = Totals()
    rows = []
    for number in sorted(numbers):
        totals = per.get(number, Totals())
        collaboration.merge(totals)
        rows.append(CollaborationRow(number, data.municipalities[number].name, totals.as_money()))
    # Money nobody carried is still the collaboration's cost: never dropped.
    for line in unallocated:
        collaboration.basic += allocation.to_ore(line.amount)
    return CollaborationReport(year, rows, collaboration.as_money(), unallocated)


def _unallocated(
    data: _YearData, service: Service, allocator: allocation.Allocator, annual: int
) -> list[UnallocatedLine]:
    """The months of a basic service's cost with no participating member to carry them."""
    lines = []
    for month, cost in enumerate(allocation.monthly_costs(annual), start=1):
        if cost and not allocator.monthly_members[month - 1]:
            lines.append(
                UnallocatedLine(
                    service_code=service.code,
                    service_name=service.name,
                    month=f"{data.year}-{month:02d}",
                    description=f"{data.year}-{month:02d}: {allocation.from_ore(cost)} "
                    f"{data.currency} of {service.code}'s annual cost; no participating member on "
                    f"{data.year}-{month:02d}-01 to carry it",
                    amount=allocation.from_ore(cost),
                )
            )
    return lines


def check_keys_complete(session: Session) -> None:
    """422 naming the municipality when an open year's basic service cannot split a month.

    Run after every change to keys, prices, participants or memberships, so a
    report never meets a fixed-shares key without a member's share.
    """
    closed = set(closing.closed_years(session))
    rows = session.execute(
        sa.select(
            col(ServicePrice.service_code), col(ServicePrice.year), col(ServicePrice.allocation_key)
        ).where(col(ServicePrice.model) == PriceModel.ALLOCATION.value)
    ).all()
    rows = [r for r in rows if r.year not in closed]
    if not rows:
        return
    keys = load_keys(session)
    municipalities = list(session.scalars(sa.select(Municipality).order_by(Municipality.number)))
    participants = _participants(session, {r.year for r in rows})
    latest: dict[str, int] = {}
    for code, year, _ in rows:
        latest[code] = max(year, latest.get(code, year))
    now = today()
    for code, year, key_name in rows:
        key = keys.get(key_name or "")
        if not isinstance(key, allocation.FixedKey):
            continue
        taking_part = participants.get((code, year))
        if taking_part is None and year == latest[code]:
            # The key carries the service on: every member now or to come needs a share.
            for m in municipalities:
                if (m.left_on is None or m.left_on > now) and m.number not in key.shares:
                    raise _missing_share(key, m.number)
        members = [
            allocation.Member(m.number, 0, m.joined_on, m.left_on)
            for m in municipalities
            if taking_part is None or m.number in taking_part
        ]
        allocator = allocation.Allocator.for_year(year, members)
        for month in allocation.MONTHS:
            if not allocator.monthly_members[month - 1]:
                continue
            with _explained():
                allocator.weights(key, month)


def _missing_share(key: allocation.FixedKey, number: str) -> ValidationFailed:
    message = N_(
        "Allocation key %(key)r shares basic services and has no fixed share for "
        "municipality %(number)s, a member now or from a later date."
    )
    return ValidationFailed(
        errors={f"fixed_shares.{number}": [message]},
        detail=message,
        params={"key": key.name, "number": number},
        municipality=number,
        allocation_key=key.name,
    )


def _participants(session: Session, years: set[int]) -> dict[tuple[str, int], frozenset[str]]:
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


# --- loading -----------------------------------------------------------------------------


def _load(session: Session, year: int, number: str | None) -> _YearData:
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
    data = _YearData(
        year=year,
        municipalities=municipalities,
        priced=priced,
        keys=keys,
        subscriptions=subscriptions,
        changes=changes,
        specials=specials,
        populations=populations,
        participants={
            code: numbers for (code, _), numbers in _participants(session, {year}).items()
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


# --- basic -----------------------------------------------------------------------------------


def _key(data: _YearData, price: ServicePrice) -> allocation.Key:
    key = data.keys.get(price.allocation_key or "")
    if key is None:  # the foreign key makes this unreachable short of manual edits
        raise ValidationFailed(
            "year",
            N_("The %(year)s price of %(code)s names no allocation key."),
            params={"year": data.year, "code": price.service_code},
        )
    return key


@contextmanager
def _explained() -> Iterator[None]:
    """A key that cannot split a month becomes a 422 naming the key and the municipality."""
    try:
        yield
    except allocation.MissingShare as exc:
        raise ValidationFailed(
            errors={f"fixed_shares.{exc.municipality}": [exc.template]},
            detail=exc.template,
            params=exc.params,
            municipality=exc.municipality,
            allocation_key=exc.key,
        )
    except allocation.AllocationError as exc:
        raise ValidationFailed(
            errors={"allocation_key": [exc.template]},
            detail=exc.template,
            params=exc.params,
            allocation_key=exc.key,
        )


def _basic_lines(data: _YearData, number: str) -> list[ReportLine]:
    lines = []
    for service, price in data.priced:
        if service.tier != Tier.BASIC:
            continue
        key = _key(data, price)
        allocator = data.allocator_for(service.code, key)
        annual = price.annual_cost or Decimal(0)
        monthly = allocation.monthly_costs(allocation.to_ore(annual))
        for month, cost in enumerate(monthly, start=1):
            with _explained():
                weights, parts = allocator.split_month(key, month, cost)
            if number not in weights.numbers:
                continue
            position = weights.numbers.index(number)
            weight = Fraction(weights.numerators[position], weights.denominator)
            lines.append(
                ReportLine(
                    service_code=service.code,
                    service_name=service.name,
                    tier=Tier.BASIC.value,
                    rule=ChargeRule.BASIC_ALLOCATION.value,
                    month=f"{data.year}-{month:02d}",
                    description=_basic_description(
                        data, allocator, key, month, cost, annual, number, weight
                    ),
                    quantity=Decimal(f"{float(weight):.8f}"),
                    amount=allocation.from_ore(parts[position]),
                )
            )
    return lines


def _basic_description(
    data: _YearData,
    allocator: allocation.Allocator,
    key: allocation.Key,
    month: int,
    cost: int,
    annual: Decimal,
    number: str,
    weight: Fraction,
) -> str:
    members = allocator.monthly_members[month - 1]
    rest = "December takes the rest" if month == 12 else "rounded down to the øre"
    head = (
        f"{data.year}-{month:02d}: {allocation.from_ore(cost)} {data.currency} = annual "
        f"{annual} ÷ 12 "
        f"({rest}), shared by the {len(members)} members on {data.year}-{month:02d}-01"
    )
    if isinstance(key, allocation.WeightedKey):
        me = next(m for m in members if m.number == number)
        total = sum(m.population for m in members)
        figures = key.figures_for(data.year)
        how = (
            f"key {key.name!r}: {key.equal_weight} ÷ {len(members)} + {key.population_weight} × "
            f"{me.population}/{total} inhabitants ({figures})"
        )
    else:
        member_total = sum((key.shares[m.number] for m in members), Decimal(0))
        how = f"key {key.name!r}: fixed share {key.shares[number]} ÷ {member_total} (members' sum)"
    return f"{head}; {how} = {float(weight):.8f}; largest remainder to the øre"


# --- optional and special --------------------------------------------------------------------


def _subscription_charges(data: _YearData, subscription: sa.Row[Any]) -> list[charges.Charge]:
    price = data.prices[subscription.service_code]
    return charges.optional_charges(
        data.year,
        charges.UnitPrice(
            unit=price.unit or "item",
            unit_price=price.unit_price or Decimal(0),
            period=price.period or "month",
            setup_fee=price.setup_fee or Decimal(0),
        ),
        subscription.start_on,
        data.changes.get(subscription.id or 0, []),
        subscription.end_on,
        data.currency,
    )


def _optional_lines(data: _YearData) -> list[ReportLine]:
    names = {s.code: s.name for s, _ in data.priced}
    lines = []
    for subscription in data.subscriptions:
        for charge in _subscription_charges(data, subscription):
            lines.append(
                ReportLine(
                    service_code=subscription.service_code,
                    service_name=names[subscription.service_code],
                    tier=Tier.OPTIONAL.value,
                    rule=charge.rule.value,
                    month=f"{data.year}-{charge.month:02d}" if charge.month else None,
                    description=f"subscription {subscription.id}: {charge.basis}",
                    quantity=charge.quantity,
                    amount=allocation.from_ore(charge.amount_ore),
                )
            )
    return lines


def _special(request: sa.Row[Any], currency: str) -> charges.Charge:
    return charges.special_charge(
        request.quote_amount or Decimal(0),
        request.quote_hours,
        request.quote_hourly_rate,
        request.actual_hours,
        request.status == SpecialRequestStatus.DELIVERED,
        currency,
    )


def _special_lines(data: _YearData) -> list[ReportLine]:
    lines = []
    for request in data.specials:
        charge = _special(request, data.currency)
        accepted = request.accepted_at.astimezone(OSLO) if request.accepted_at else None
        lines.append(
            ReportLine(
                service_code=request.service_code,
                service_name=request.title,
                tier=Tier.SPECIAL.value,
                rule=charge.rule.value,
                month=f"{accepted:%Y-%m}" if accepted else None,
                description=f"special request {request.id} {request.title!r}: {charge.basis}",
                quantity=charge.quantity,
                amount=allocation.from_ore(charge.amount_ore),
            )
        )
    return lines
