"""Cost reports as CSV: RFC 4180 (UTF-8, commas, CRLF) or the Norwegian Excel dialect.

``excel-no`` is what a Norwegian Excel opens with a double-click: semicolons
between fields, decimal commas, and a UTF-8 byte-order mark so that æ, ø and å
survive.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Any

from kommune_ikt import csvsafe
from service_catalog.report_types import CollaborationReport, MunicipalityReport


class Dialect(StrEnum):
    RFC4180 = "rfc4180"
    EXCEL_NO = "excel-no"


LINE_COLUMNS = (
    "year",
    "municipality",
    "municipality_name",
    "month",
    "service_code",
    "service_name",
    "tier",
    "rule",
    "description",
    "quantity",
    "amount",
)
TOTAL_COLUMNS = (
    "year",
    "municipality",
    "municipality_name",
    "basic",
    "optional",
    "special",
    "total",
)


def _number(value: Decimal, dialect: Dialect) -> str:
    text = format(value, "f")
    return text.replace(".", ",") if dialect == Dialect.EXCEL_NO else text


def _render(header: Iterable[str], rows: Iterable[Iterable[Any]], dialect: Dialect) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=";" if dialect == Dialect.EXCEL_NO else ",",
        lineterminator="\r\n",
        quoting=csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    # Every cell through the one formula-injection guard (numbers stay numbers).
    writer.writerows(csvsafe.row(r) for r in rows)
    text = buffer.getvalue()
    return "\ufeff" + text if dialect == Dialect.EXCEL_NO else text


def municipality_csv(report: MunicipalityReport, dialect: Dialect) -> str:
    """One row per report line."""
    rows = (
        (
            report.year,
            report.municipality,
            report.name,
            line.month or "",
            line.service_code,
            line.service_name,
            line.tier,
            line.rule,
            line.description,
            _number(line.quantity, dialect),
            _number(line.amount, dialect),
        )
        for line in report.lines
    )
    return _render(LINE_COLUMNS, rows, dialect)


def collaboration_csv(report: CollaborationReport, dialect: Dialect) -> str:
    """One row per municipality, then the collaboration's sums (municipality left empty)."""
    rows: list[tuple[Any, ...]] = [
        (
            report.year,
            row.municipality,
            row.name,
            *(_number(row.totals[k], dialect) for k in ("basic", "optional", "special", "total")),
        )
        for row in report.municipalities
    ]
    rows.append(
        (
            report.year,
            "",
            "Sum",
            *(
                _number(report.totals[k], dialect)
                for k in ("basic", "optional", "special", "total")
            ),
        )
    )
    return _render(TOTAL_COLUMNS, rows, dialect)
