"""Charges for optional subscriptions and special requests (pure, no database).

- ``month`` price: unit price × quantity × (days active in the month ÷ days
  in the month), one line per month (and per quantity in force that month);
- ``year`` price: unit price × quantity × (days active in the year ÷ days in
  the year), one line per quantity in force;
- ``once`` price: unit price × quantity in the month the subscription starts,
  and unit price × the increase when it grows later;
- a setup fee: once per subscription, in the month it starts (any period);
- special work: the accepted quote, or actual hours × the quoted hourly rate
  once delivered.

Every line is rounded half-up to the øre on its own, so a finance officer can
recompute each from its description.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from service_catalog.allocation import to_ore
from service_catalog.choices import ChargeRule, Period


def round_half_up(numerator: int, denominator: int = 1) -> int:
    """Whole øre of the non-negative exact amount ``numerator / denominator`` øre, half-up."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("charges are never negative")
    return (2 * numerator + denominator) // (2 * denominator)


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


@dataclass(frozen=True)
class Charge:
    """One report line before it is tied to a municipality and service."""

    rule: ChargeRule
    month: int | None
    quantity: Decimal
    amount_ore: int
    basis: str


@dataclass(frozen=True)
class UnitPrice:
    unit: str
    unit_price: Decimal
    period: str
    setup_fee: Decimal


@dataclass(frozen=True)
class Span:
    """A quantity in force from ``start`` up to (not including) ``end``."""

    start: date
    end: date
    quantity: int

    def overlap(self, start: date, end: date) -> int:
        """Days this span shares with [start, end)."""
        return max(0, (min(self.end, end) - max(self.start, start)).days)


def quantity_spans(
    changes: Sequence[tuple[date, int]], start_on: date, end_on: date | None, year: int
) -> list[Span]:
    """The quantity in force over time, clipped to the subscription and to ``year`` + 1 day.

    ``changes`` are (effective_on, quantity) in any order; the quantity holds
    until the next change or ``end_on`` (exclusive).
    """
    horizon = date(year + 1, 1, 1)
    stop = min(end_on, horizon) if end_on is not None else horizon
    ordered = sorted(changes)
    spans = []
    for i, (effective_on, quantity) in enumerate(ordered):
        begin = max(effective_on, start_on)
        until = ordered[i + 1][0] if i + 1 < len(ordered) else stop
        until = min(until, stop)
        if until > begin:
            spans.append(Span(begin, until, quantity))
    return spans


def _months(year: int) -> Iterator[tuple[int, date, date]]:
    for month in range(1, 13):
        first = date(year, month, 1)
        yield month, first, first + timedelta(days=calendar.monthrange(year, month)[1])


def optional_charges(
    year: int,
    price: UnitPrice,
    start_on: date,
    changes: Sequence[tuple[date, int]],
    end_on: date | None,
    currency: str = "NOK",
) -> list[Charge]:
    """The lines one subscription produces in ``year`` (explained in ``currency``)."""
    spans = quantity_spans(changes, start_on, end_on, year)
    unit_ore = to_ore(price.unit_price)
    per = f"{price.unit_price} {currency} per {price.unit}"
    out: list[Charge] = []
    year_start, year_end = date(year, 1, 1), date(year + 1, 1, 1)
    if price.period == Period.MONTH:
        for month, first, after in _months(year):
            length = (after - first).days
            for span in spans:
                days = span.overlap(first, after)
                if not days:
                    continue
                out.append(
                    Charge(
                        ChargeRule.OPTIONAL_MONTH,
                        month,
                        Decimal(span.quantity),
                        round_half_up(unit_ore * span.quantity * days, length),
                        f"{span.quantity} × {per} and month × {days}/{length} days "
                        f"active in {year}-{month:02d}; rounded half-up",
                    )
                )
    elif price.period == Period.YEAR:
        length = days_in_year(year)
        for span in spans:
            days = span.overlap(year_start, year_end)
            if not days:
                continue
            out.append(
                Charge(
                    ChargeRule.OPTIONAL_YEAR,
                    None,
                    Decimal(span.quantity),
                    round_half_up(unit_ore * span.quantity * days, length),
                    f"{span.quantity} × {per} and year × {days}/{length} days active "
                    f"({max(span.start, year_start)} to "
                    f"{min(span.end, year_end) - timedelta(days=1)}); rounded half-up",
                )
            )
    else:
        # Once: the first quantity when the subscription starts, then each increase.
        previous = 0
        for span in spans:
            increase = span.quantity - previous
            previous = span.quantity
            if increase > 0 and span.start.year == year:
                out.append(
                    Charge(
                        ChargeRule.OPTIONAL_ONCE,
                        span.start.month,
                        Decimal(increase),
                        unit_ore * increase,
                        f"{increase} × {per}, once, from {span.start}",
                    )
                )
    setup_ore = to_ore(price.setup_fee)
    if setup_ore and start_on.year == year and (end_on is None or end_on > start_on):
        out.append(
            Charge(
                ChargeRule.OPTIONAL_SETUP_FEE,
                start_on.month,
                Decimal(1),
                setup_ore,
                f"setup fee {price.setup_fee} {currency}, once, subscription starting {start_on}",
            )
        )
    return out


def special_charge(
    quote_amount: Decimal,
    quote_hours: Decimal | None,
    hourly_rate: Decimal | None,
    actual_hours: Decimal | None,
    delivered: bool,
    currency: str = "NOK",
) -> Charge:
    """The accepted quote, or actual hours × the quoted rate once delivered."""
    if delivered and actual_hours is not None and hourly_rate is not None:
        exact = Fraction(actual_hours) * to_ore(hourly_rate)
        return Charge(
            ChargeRule.SPECIAL_ACTUAL,
            None,
            actual_hours,
            round_half_up(exact.numerator, exact.denominator),
            f"delivered: {actual_hours} actual hours × {hourly_rate} {currency}/hour "
            f"(quoted {quote_amount} {currency}); rounded half-up",
        )
    if quote_hours is not None and hourly_rate is not None:
        basis = (
            f"accepted quote: {quote_hours} hours × {hourly_rate} {currency}/hour = "
            f"{quote_amount} {currency}"
        )
        quantity = quote_hours
    else:
        basis = f"accepted quote: fixed amount {quote_amount} {currency}"
        quantity = Decimal(1)
    return Charge(ChargeRule.SPECIAL_QUOTE, None, quantity, to_ore(quote_amount), basis)
