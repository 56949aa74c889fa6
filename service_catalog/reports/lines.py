"""A municipality's report lines: basic shares by the allocation key, optional and special charges.

The arithmetic is in ``allocation`` (basic) and ``charges`` (optional, special),
which never touch the database; each line says in words how it was reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from kommune_ikt.core.errors import ValidationFailed
from kommune_ikt.core.messages import N_
from service_catalog import allocation, charges
from service_catalog.choices import ChargeRule, SpecialRequestStatus, Tier
from service_catalog.models import (
    ServicePrice,
)
from service_catalog.municipalities import OSLO
from service_catalog.reports.values import (
    ReportLine,
)
from service_catalog.reports.year_data import YearData


def key_of(data: YearData, price: ServicePrice) -> allocation.Key:
    key = data.keys.get(price.allocation_key or "")
    if key is None:  # the foreign key makes this unreachable short of manual edits
        raise ValidationFailed(
            "year",
            N_("The %(year)s price of %(code)s names no allocation key."),
            params={"year": data.year, "code": price.service_code},
        )
    return key


@contextmanager
def explained() -> Iterator[None]:
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


def basic_lines(data: YearData, number: str) -> list[ReportLine]:
    lines = []
    for service, price in data.priced:
        if service.tier != Tier.BASIC:
            continue
        key = key_of(data, price)
        allocator = data.allocator_for(service.code, key)
        annual = price.annual_cost or Decimal(0)
        monthly = allocation.monthly_costs(allocation.to_ore(annual))
        for month, cost in enumerate(monthly, start=1):
            with explained():
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
    data: YearData,
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


def subscription_charges(data: YearData, subscription: sa.Row[Any]) -> list[charges.Charge]:
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


def optional_lines(data: YearData) -> list[ReportLine]:
    names = {s.code: s.name for s, _ in data.priced}
    lines = []
    for subscription in data.subscriptions:
        for charge in subscription_charges(data, subscription):
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


def special_charge(request: sa.Row[Any], currency: str) -> charges.Charge:
    return charges.special_charge(
        request.quote_amount or Decimal(0),
        request.quote_hours,
        request.quote_hourly_rate,
        request.actual_hours,
        request.status == SpecialRequestStatus.DELIVERED,
        currency,
    )


def special_lines(data: YearData) -> list[ReportLine]:
    lines = []
    for request in data.specials:
        charge = special_charge(request, data.currency)
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
