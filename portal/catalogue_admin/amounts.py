"""Amounts and ratios as people type them (``1 234,50``, ``0,4``): parsed to Decimals, and
checked by the catalogue managers' form fields."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext
from wtforms.validators import ValidationError


def money(value: str | None) -> Decimal | None:
    """``"1 234,50"`` or ``"1234.50"`` as a Decimal; None when blank."""
    text = (value or "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not text:
        return None
    return Decimal(text)


def decimal_or_none(value: str | None) -> Decimal | None:
    text = (value or "").strip().replace(",", ".")
    return Decimal(text) if text else None


def money_check(form: Any, field: Any) -> None:
    try:
        amount = money(field.data)
    except InvalidOperation:
        raise ValidationError(gettext("Skriv et beløp, for eksempel 1234,50."))
    if amount is not None and (amount < 0 or amount.as_tuple().exponent < -2):  # type: ignore[operator]
        raise ValidationError(gettext("Skriv et beløp, for eksempel 1234,50."))


def ratio_check(form: Any, field: Any) -> None:
    try:
        value = decimal_or_none(field.data)
    except InvalidOperation:
        raise ValidationError(gettext("Skriv et desimaltall mellom 0 og 1, for eksempel 0,4."))
    if value is not None and not 0 <= value <= 1:
        raise ValidationError(gettext("Skriv et desimaltall mellom 0 og 1, for eksempel 0,4."))
