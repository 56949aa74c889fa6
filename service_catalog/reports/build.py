"""Cost reports: what each municipality owes for a budget year, line by line, and why.

The database is read in a fixed number of queries (municipalities, the year's
prices, keys, subscriptions and their changes, special requests), whatever
the number of municipalities; the arithmetic is in ``allocation`` (basic) and
``charges`` (optional, special), which never touch the database.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.errors import ValidationFailed
from kommune_ikt.core.messages import N_
from service_catalog import allocation, closing
from service_catalog.choices import Tier
from service_catalog.models import (
    FrozenCostReport,
    Municipality,
    Service,
)
from service_catalog.reports.lines import (
    basic_lines,
    explained,
    key_of,
    optional_lines,
    special_charge,
    special_lines,
    subscription_charges,
)
from service_catalog.reports.values import (
    CollaborationReport,
    CollaborationRow,
    MunicipalityReport,
    Totals,
    UnallocatedLine,
    collaboration_from_json,
    municipality_from_json,
)
from service_catalog.reports.year_data import YearData, load_year

TIER_ORDER = {Tier.BASIC.value: 0, Tier.OPTIONAL.value: 1, Tier.SPECIAL.value: 2}
REPORT_READERS = (Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS)


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
    data = load_year(session, year, number)
    data.currency = currency
    lines = basic_lines(data, number) + optional_lines(data) + special_lines(data)
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
    data = load_year(session, year, None)
    data.currency = currency
    per: dict[str, Totals] = defaultdict(Totals)
    unallocated: list[UnallocatedLine] = []
    for service, price in data.priced:
        if service.tier != Tier.BASIC:
            continue
        key = key_of(data, price)
        allocator = data.allocator_for(service.code, key)
        annual = allocation.to_ore(price.annual_cost or Decimal(0))
        with explained():
            shares = allocator.totals(annual, key)
        for number, amount in shares.items():
            per[number].basic += amount
        unallocated.extend(_unallocated(data, service, allocator, annual))
    for subscription in data.subscriptions:
        for charge in subscription_charges(data, subscription):
            per[subscription.municipality_number].optional += charge.amount_ore
    for request in data.specials:
        per[request.municipality_number].special += special_charge(
            request, data.currency
        ).amount_ore
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
    data: YearData, service: Service, allocator: allocation.Allocator, annual: int
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
