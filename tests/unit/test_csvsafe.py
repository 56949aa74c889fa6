"""The one CSV cell guard: formula-like text neutralised, numbers left numbers."""

from decimal import Decimal

import pytest

from kommune_ikt.core.csvsafe import cell


@pytest.mark.parametrize("text", ["=1+1", "+A1", "-A1", "@SUM(A1)", "\t=1", "\r=1", "-", "+-1"])
def test_formula_like_text_gets_an_apostrophe(text):
    assert cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["-12.50", "-12,50", "+3", "-7", "0301", "2024-01", "Sum", "a=b", "", None]
)
def test_numbers_and_plain_text_are_unchanged(value):
    assert cell(value) == value


@pytest.mark.parametrize("value", [-12, Decimal("-12.50"), -0.5, True])
def test_numbers_of_any_type_are_unchanged(value):
    assert cell(value) is value
