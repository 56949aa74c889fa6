"""Cost reports as CSV: RFC 4180 (UTF-8, commas, CRLF) or the Norwegian Excel dialect.

``excel-no`` is what a Norwegian Excel opens with a double-click: semicolons
between fields, decimal commas, a UTF-8 byte-order mark so that æ, ø and å
survive, and column headings in the reader's language (``rfc4180`` keeps the
API's field names, for programs). Months ("2024-01") and municipality numbers
("0301") stay text in Excel: see ``excel_text``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Any

from kommune_ikt.core import csvsafe
from kommune_ikt.core.messages import N_, translator
from service_catalog.reports.values import CollaborationReport, MunicipalityReport


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
# The headings of the Excel dialect (English message ids, translated per reader).
COLUMN_TITLES = {
    "year": N_("Year"),
    "municipality": N_("Municipality number"),
    "municipality_name": N_("Municipality"),
    "month": N_("Month"),
    "service_code": N_("Service code"),
    "service_name": N_("Service"),
    "tier": N_("Tier"),
    "rule": N_("Rule"),
    "description": N_("Description"),
    "quantity": N_("Quantity"),
    "amount": N_("Amount"),
    "basic": N_("Basic services"),
    "optional": N_("Optional services"),
    "special": N_("Special requests"),
    "total": N_("Total"),
}
SUM_LABEL = N_("Sum")


class ExcelText(str):
    """A cell ``excel_text`` wrote as a text formula: digits and hyphens only, so safe as it is.

    Whatever neutralises formula injection in CSV cells (=, +, -, @ ...) must leave
    these alone: they are the only cells the service itself writes as a formula,
    and their content cannot carry anything but the digits and hyphens it checked.
    """


_TEXT_SAFE = re.compile(r"[0-9][0-9-]*")


def excel_text(value: Any, dialect: Dialect) -> Any:
    """``"0301"`` as ``="0301"`` in the Excel dialect, so that Excel keeps it text.

    Opened with a double-click, Excel turns "2024-01" into a date and "0301" into
    the number 301, whatever the CSV's quoting says. A cell ``="0301"`` is a formula
    whose value is the text 0301: Excel (Windows and Mac), LibreOffice with formula
    evaluation and Google Sheets show 0301 and 2024-01 and sort and filter them as
    text. A leading apostrophe is no help (Excel shows it when it reads a CSV), and
    a leading tab or zero-width character would change the value itself. Only values
    of digits and hyphens are written so (they are the ones Excel mangles, and the
    formula cannot carry anything else); every other value is returned unchanged.
    The RFC 4180 dialect, for programs, is never touched.
    """
    if dialect != Dialect.EXCEL_NO or value is None:
        return value
    text = str(value)
    if not _TEXT_SAFE.fullmatch(text):
        return value
    return ExcelText(f'="{text}"')


def _number(value: Decimal, dialect: Dialect) -> str:
    text = format(value, "f")
    return text.replace(".", ",") if dialect == Dialect.EXCEL_NO else text


MONEY_COLUMNS = frozenset({"amount", "basic", "optional", "special", "total"})


def _header(
    columns: Iterable[str], dialect: Dialect, language: str | None, currency: str
) -> list[str]:
    """Field names for programs; for people, headings in their language, with the
    currency on every money column ("Beløp (NOK)")."""
    if dialect != Dialect.EXCEL_NO:
        return list(columns)
    gettext = translator(language)
    return [
        f"{gettext(COLUMN_TITLES[c])} ({currency})"
        if c in MONEY_COLUMNS
        else gettext(COLUMN_TITLES[c])
        for c in columns
    ]


def _excel_cell(value: Any) -> str:
    """One field of the Excel dialect: an ``ExcelText`` as it is, others quoted when needed."""
    if isinstance(value, ExcelText):
        return str(value)
    safe = csvsafe.cell(value)
    text = "" if safe is None else str(safe)
    if any(c in text for c in ';"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _render(header: Iterable[str], rows: Iterable[Iterable[Any]], dialect: Dialect) -> str:
    if dialect == Dialect.EXCEL_NO:
        # Written by hand: csv.writer would quote ="0301" (it holds quotes), and a quoted
        # formula is not what the incantation Excel knows looks like.
        lines = [";".join(_excel_cell(v) for v in row) for row in (header, *rows)]
        return "\ufeff" + "".join(line + "\r\n" for line in lines)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=",", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    # Every cell through the one formula-injection guard (numbers stay numbers).
    writer.writerows(csvsafe.row(r) for r in rows)
    return buffer.getvalue()


def municipality_csv(
    report: MunicipalityReport,
    dialect: Dialect,
    language: str | None = None,
    currency: str = "NOK",
) -> str:
    """One row per report line; Excel headings in ``language`` (default bokmål)."""
    rows = (
        (
            report.year,
            excel_text(report.municipality, dialect),
            report.name,
            excel_text(line.month or "", dialect),
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
    return _render(_header(LINE_COLUMNS, dialect, language, currency), rows, dialect)


def collaboration_csv(
    report: CollaborationReport,
    dialect: Dialect,
    language: str | None = None,
    currency: str = "NOK",
) -> str:
    """One row per municipality, one per unallocated month, then the collaboration's sums."""
    rows: list[tuple[Any, ...]] = [
        (
            report.year,
            excel_text(row.municipality, dialect),
            row.name,
            *(_number(row.totals[k], dialect) for k in ("basic", "optional", "special", "total")),
        )
        for row in report.municipalities
    ]
    for line in report.unallocated:
        rows.append(
            (
                report.year,
                "",
                f"Unallocated {line.service_code} {line.month}",
                _number(line.amount, dialect),
                _number(Decimal(0), dialect),
                _number(Decimal(0), dialect),
                _number(line.amount, dialect),
            )
        )
    rows.append(
        (
            report.year,
            "",
            translator(language)(SUM_LABEL) if dialect == Dialect.EXCEL_NO else "Sum",
            *(
                _number(report.totals[k], dialect)
                for k in ("basic", "optional", "special", "total")
            ),
        )
    )
    return _render(_header(TOTAL_COLUMNS, dialect, language, currency), rows, dialect)
