"""A cost report's amounts by month and tier, for a chart: read from the report's own lines.

Every line the report makes (``cost_reports``: the allocation for basic services, the
charges for optional ones and special work) already names its month, except charges
priced per year (``optional.year``), which belong to the year as a whole. So the split
groups the report's lines and never recomputes them: the twelve months plus the
whole-year part add up to the report's totals to the øre, and a closed year's frozen
report splits exactly as it was frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from service_catalog.allocation import MONTHS, to_ore
from service_catalog.reports.values import MunicipalityReport, Totals

TIERS = ("basic", "optional", "special")


@dataclass
class MonthlyCosts:
    """Sums in øre by tier: one ``Totals`` per month (January first) and the year's own."""

    year: int
    months: list[Totals] = field(default_factory=lambda: [Totals() for _ in MONTHS])
    # Charges priced per year (and any line without a month of this year).
    whole_year: Totals = field(default_factory=Totals)

    def amounts(self, tier: str) -> list[Decimal]:
        """The tier's amount in each month, in money (January first)."""
        return [t.as_money()[tier] for t in self.months]

    def total(self) -> Totals:
        """The sum of the months and the whole-year part (equals the report's totals)."""
        out = Totals()
        for month in self.months:
            out.merge(month)
        out.merge(self.whole_year)
        return out


def split_by_month(report: MunicipalityReport) -> MonthlyCosts:
    """The report's lines summed by month and tier."""
    split = MonthlyCosts(report.year)
    prefix = f"{report.year}-"
    for line in report.lines:
        target = split.whole_year
        if line.month and line.month.startswith(prefix):
            month = int(line.month[len(prefix) :])
            if month in MONTHS:
                target = split.months[month - 1]
        target.add(line.tier, to_ore(line.amount))
    return split
