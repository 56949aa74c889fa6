"""Checks the catalogue's schemas share: municipality numbers, service codes, money."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from marshmallow import validate

MUNICIPALITY_NUMBER = validate.Regexp(r"^\d{4}$", error="A 4-digit municipality number.")
SERVICE_CODE = validate.Regexp(
    r"^[A-Z0-9][A-Z0-9._-]{0,39}$",
    error="Capital letters, digits, '.', '_' and '-', at most 40 (e.g. M365-LIC).",
)
KEY_NAME = validate.Length(min=1, max=80)
# Ten billion NOK: far above any line of a municipal IT budget, and far below
# what a BigInteger of øre holds even multiplied by hours or quantities.
MONEY_RANGE = validate.Range(max=Decimal("9999999999.99"), error="At most 9999999999.99.")
QUANTITY = validate.Range(min=1, max=1_000_000, error="Must be between 1 and 1000000.")
HOURS = validate.Range(min=0, max=100_000)


def choice_values(choices: type[StrEnum]) -> list[str]:
    """The values a StrEnum allows, for ``validate.OneOf``."""
    return [c.value for c in choices]
