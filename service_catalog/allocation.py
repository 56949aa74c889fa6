"""Allocation arithmetic for basic services: exact, to the øre, with no database.

A basic service's annual cost is split into twelve monthly amounts (annual ÷ 12
rounded down to the øre; December takes the rest, so the months add up to the
year). Each month's amount is shared among the municipalities that are members
on that month's first day, by an allocation key:

- weighted: ``equal_weight / n + population_weight × population / Σ population``
- fixed shares: the key's share of each member, renormalised over the members
  of that month (a member that left gives its share up to the others in
  proportion; a member without a share is an error the report names).

Weights are exact fractions. The split uses the largest-remainder (Hamilton)
method: everyone gets the floor of their exact quota in øre, and the øre left
over go one each to the largest remainders, ties broken by municipality number
(lowest first). So the shares always add up to the month's amount exactly and
none is negative.

Everything works in whole øre (``int``); ``to_ore``/``from_ore`` convert.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from kommune_ikt.core.messages import N_

MONTHS = tuple(range(1, 13))


def to_ore(amount: Decimal) -> int:
    """Whole øre of a NOK amount with at most two decimals."""
    ore = Decimal(amount) * 100
    if ore != ore.to_integral_value():
        raise ValueError(f"{amount} has more than two decimals")
    return int(ore)


def from_ore(ore: int) -> Decimal:
    return (Decimal(ore) / 100).quantize(Decimal("0.01"))


def monthly_costs(annual_ore: int) -> list[int]:
    """Twelve monthly amounts: annual ÷ 12 rounded down, December takes the rest.

    Rounding down (not half-up) keeps December's rest non-negative for any
    annual amount, even a few øre.
    """
    if annual_ore < 0:
        raise ValueError("an annual cost cannot be negative")
    base = annual_ore // 12
    return [base] * 11 + [annual_ore - 11 * base]


@dataclass(frozen=True)
class Member:
    """A municipality as the allocation sees it."""

    number: str
    population: int
    joined_on: date
    left_on: date | None = None

    def is_member_on(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)


@dataclass(frozen=True)
class WeightedKey:
    """Equal part plus population part; the weights sum to 1."""

    name: str
    equal_weight: Decimal
    population_weight: Decimal
    # Whose figures: this year's for every budget year, or None for the year before it.
    population_year: int | None = None

    def figures_for(self, budget_year: int) -> int | None:
        """The population year a budget year uses, or None when populations play no part."""
        if not self.population_weight:
            return None
        return self.population_year or budget_year - 1


@dataclass(frozen=True)
class FixedKey:
    """Fixed shares per municipality number (e.g. ownership shares); they sum to 1."""

    name: str
    shares: Mapping[str, Decimal]


Key = WeightedKey | FixedKey


class AllocationError(ValueError):
    """A key cannot split a month: it names the key and, if one, the municipality."""

    def __init__(
        self,
        message: str,
        *,
        key: str,
        municipality: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message % params if params else message)
        # The English template and its values, for a translated problem at the edge.
        self.template, self.params = message, params
        self.key = key
        self.municipality = municipality


class MissingShare(AllocationError):
    """A fixed-shares key has no share for a municipality that is a member that month."""


@dataclass(frozen=True)
class Weights:
    """Exact weights of a month's members, as integer numerators over one denominator.

    ``numbers`` is sorted, so position order is the tie-break order.
    """

    numbers: tuple[str, ...]
    numerators: tuple[int, ...]
    denominator: int

    def share(self, number: str) -> Fraction:
        return Fraction(self.numerators[self.numbers.index(number)], self.denominator)

    def as_dict(self) -> dict[str, Fraction]:
        return {
            n: Fraction(num, self.denominator)
            for n, num in zip(self.numbers, self.numerators, strict=True)
        }


def check_weights(equal_weight: Decimal, population_weight: Decimal) -> None:
    """Both non-negative and summing to exactly 1."""
    if equal_weight < 0 or population_weight < 0:
        raise ValueError("weights must not be negative")
    if equal_weight + population_weight != 1:
        raise ValueError(f"weights sum to {equal_weight + population_weight}, not exactly 1")


def check_shares(shares: Mapping[str, Decimal]) -> None:
    """Non-negative shares summing to exactly 1."""
    if any(s < 0 for s in shares.values()):
        raise ValueError("shares must not be negative")
    total = sum(shares.values(), Decimal(0))
    if total != 1:
        raise ValueError(f"shares sum to {total}, not exactly 1")


def compute_weights(key: Key, members: Sequence[Member]) -> Weights:
    """The exact weight of every member under ``key``; they sum to exactly 1."""
    ordered = sorted(members, key=lambda m: m.number)
    if not ordered:
        return Weights((), (), 1)
    fractions: list[Fraction]
    if isinstance(key, WeightedKey):
        n = len(ordered)
        equal = Fraction(key.equal_weight)
        by_population = Fraction(key.population_weight)
        total_population = sum(m.population for m in ordered)
        if total_population == 0:
            # Nobody has a population on record: the population part is
            # shared equally rather than not at all.
            fractions = [(equal + by_population) / n for _ in ordered]
        else:
            fractions = [
                equal / n + by_population * Fraction(m.population, total_population)
                for m in ordered
            ]
    else:
        shares = []
        for m in ordered:
            if m.number not in key.shares:
                raise MissingShare(
                    N_(
                        "Allocation key %(key)r has no fixed share for municipality "
                        "%(number)s, a member in this period."
                    ),
                    key=key.name,
                    municipality=m.number,
                    params={"key": key.name, "number": m.number},
                )
            shares.append(Fraction(key.shares[m.number]))
        total = sum(shares, Fraction(0))
        if total == 0:
            raise AllocationError(
                N_("Allocation key %(key)r gives this period's members a total share of 0."),
                key=key.name,
                params={"key": key.name},
            )
        fractions = [s / total for s in shares]
    denominator = math.lcm(*(f.denominator for f in fractions))
    numerators = tuple(f.numerator * (denominator // f.denominator) for f in fractions)
    return Weights(tuple(m.number for m in ordered), numerators, denominator)


def split(amount_ore: int, weights: Weights) -> list[int]:
    """Largest-remainder split of ``amount_ore`` by ``weights`` (same order as its numbers).

    The parts add up to ``amount_ore`` exactly; ties in the remainder go to the
    lowest municipality number.
    """
    if amount_ore < 0:
        raise ValueError("cannot split a negative amount")
    if not weights.numbers:
        return []
    denominator = weights.denominator
    parts: list[int] = []
    remainders: list[int] = []
    for numerator in weights.numerators:
        whole, rest = divmod(amount_ore * numerator, denominator)
        parts.append(whole)
        remainders.append(rest)
    left = amount_ore - sum(parts)
    if left:
        # Largest remainder first; Python's sort stays stable with reverse=True,
        # so equal remainders keep position order: the lower municipality number.
        for i in sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)[:left]:
            parts[i] += 1
    return parts


@dataclass(frozen=True)
class MonthShare:
    """One member's part of one month's cost of one service."""

    month: int
    number: str
    amount_ore: int
    weight: Fraction
    month_cost_ore: int
    members: int


def first_days(year: int) -> list[date]:
    return [date(year, m, 1) for m in MONTHS]


def members_by_month(year: int, members: Iterable[Member]) -> list[tuple[Member, ...]]:
    """For each month, the members on its first day, sorted by number."""
    ordered = sorted(members, key=lambda m: m.number)
    return [tuple(m for m in ordered if m.is_member_on(day)) for day in first_days(year)]


@dataclass
class Allocator:
    """Splits many services' costs over one year's membership, reusing equal work.

    Months with the same members share their weights, and the same monthly
    amount under the same key and members is split once; a collaboration-wide
    report over hundreds of services then does a few splits per service
    instead of twelve.
    """

    year: int
    monthly_members: list[tuple[Member, ...]]
    _groups: list[int] = field(init=False)
    _weights: dict[tuple[str, int], Weights] = field(default_factory=dict, init=False)
    _splits: dict[tuple[str, int, int], list[int]] = field(default_factory=dict, init=False)

    @classmethod
    def for_year(cls, year: int, members: Iterable[Member]) -> Allocator:
        return cls(year, members_by_month(year, members))

    def __post_init__(self) -> None:
        seen: dict[tuple[str, ...], int] = {}
        self._groups = [
            seen.setdefault(tuple(m.number for m in month), len(seen))
            for month in self.monthly_members
        ]

    def weights(self, key: Key, month: int) -> Weights:
        cache_key = (key.name, self._groups[month - 1])
        found = self._weights.get(cache_key)
        if found is None:
            found = compute_weights(key, self.monthly_members[month - 1])
            self._weights[cache_key] = found
        return found

    def split_month(self, key: Key, month: int, amount_ore: int) -> tuple[Weights, list[int]]:
        weights = self.weights(key, month)
        cache_key = (key.name, self._groups[month - 1], amount_ore)
        parts = self._splits.get(cache_key)
        if parts is None:
            parts = split(amount_ore, weights)
            self._splits[cache_key] = parts
        return weights, parts

    def allocate(self, annual_ore: int, key: Key) -> list[MonthShare]:
        """Every member's share of every month of one service's annual cost."""
        shares: list[MonthShare] = []
        for month, cost in zip(MONTHS, monthly_costs(annual_ore), strict=True):
            weights, parts = self.split_month(key, month, cost)
            for number, numerator, amount in zip(
                weights.numbers, weights.numerators, parts, strict=True
            ):
                shares.append(
                    MonthShare(
                        month=month,
                        number=number,
                        amount_ore=amount,
                        weight=Fraction(numerator, weights.denominator),
                        month_cost_ore=cost,
                        members=len(weights.numbers),
                    )
                )
        return shares

    def totals(self, annual_ore: int, key: Key) -> dict[str, int]:
        """Each member's share of the whole year (the sum of its months)."""
        # Months with the same members and amount split alike: add each
        # distinct split once, times the number of months it covers.
        runs: dict[tuple[int, int], list[int]] = {}
        for month, cost in zip(MONTHS, monthly_costs(annual_ore), strict=True):
            runs.setdefault((self._groups[month - 1], cost), []).append(month)
        out: dict[str, int] = {}
        for (_, cost), months in runs.items():
            weights, parts = self.split_month(key, months[0], cost)
            times = len(months)
            for number, amount in zip(weights.numbers, parts, strict=True):
                out[number] = out.get(number, 0) + amount * times
        return out


def allocate_year(
    year: int, annual: Decimal, key: Key, members: Iterable[Member]
) -> list[MonthShare]:
    """Convenience: one service's shares for a year."""
    return Allocator.for_year(year, members).allocate(to_ore(annual), key)
