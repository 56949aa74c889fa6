"""The Excel dialect keeps months and municipality numbers text; nothing else becomes a formula."""

from __future__ import annotations

import pytest

from service_catalog.reports.csv_export import Dialect, ExcelText, _excel_cell, excel_text


@pytest.mark.parametrize("value", ["0301", "2024-01", "1505", "4601"])
def test_digits_and_hyphens_become_an_excel_text_formula(value):
    cell = excel_text(value, Dialect.EXCEL_NO)
    assert isinstance(cell, ExcelText)
    assert _excel_cell(cell) == f'="{value}"'


@pytest.mark.parametrize("value", ["", None, "=1+1", '0301";=HYPERLINK("x")', "M365-LIC", "-1"])
def test_anything_else_is_left_to_ordinary_quoting(value):
    assert not isinstance(excel_text(value, Dialect.EXCEL_NO), ExcelText)
    assert excel_text(value, Dialect.EXCEL_NO) == value


def test_rfc4180_is_never_touched():
    assert excel_text("0301", Dialect.RFC4180) == "0301"


def test_excel_cells_with_separators_or_quotes_are_quoted():
    assert _excel_cell('Si "hei"; nå') == '"Si ""hei""; nå"'
    assert _excel_cell("plain") == "plain"
