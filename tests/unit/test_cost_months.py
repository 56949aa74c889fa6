"""A cost report split by month and tier: the months and the whole year add up to its totals."""

from __future__ import annotations

from decimal import Decimal

from service_catalog.reports.months import split_by_month
from service_catalog.reports.values import MunicipalityReport, ReportLine, Totals


def _line(tier: str, month: str | None, amount: str) -> ReportLine:
    return ReportLine("X", "X", tier, "rule", month, "", Decimal(1), Decimal(amount))


def test_lines_go_to_their_month_and_yearly_ones_to_the_whole_year() -> None:
    lines = [
        _line("basic", "2026-01", "100.01"),
        _line("basic", "2026-12", "100.02"),
        _line("optional", "2026-01", "0.33"),
        _line("optional", None, "4900.00"),  # priced per year
        _line("special", "2026-03", "26000.00"),
    ]
    totals = Totals()
    for line in lines:
        totals.add(line.tier, int(line.amount * 100))
    report = MunicipalityReport(2026, "1505", "Kristiansund", lines, totals.as_money())
    split = split_by_month(report)
    assert split.amounts("basic")[0] == Decimal("100.01")
    assert split.amounts("basic")[11] == Decimal("100.02")
    assert split.amounts("special")[2] == Decimal("26000.00")
    assert split.whole_year.as_money()["optional"] == Decimal("4900.00")
    assert split.total().as_money() == report.totals


def test_an_empty_report_splits_into_zeros() -> None:
    report = MunicipalityReport(2026, "1505", "Kristiansund", [], Totals().as_money())
    split = split_by_month(report)
    assert split.total().total == 0 and len(split.months) == 12
