"""marshmallow's fields, refusing what no column can store; schemas import ``fields`` from here.

PostgreSQL text cannot hold NUL (``\\u0000``), no database can store a lone
surrogate (it has no UTF-8 form), and our integer columns are 32 bits: each was
a 500 at the insert. The refusal lives in the field, so the 422 names the field
and the OpenAPI document shows the range (``minimum``/``maximum``).
"""

from __future__ import annotations

import math
import re
from typing import Any

import marshmallow as ma
from marshmallow import fields as _ma
from marshmallow import validate
from marshmallow.fields import (
    AwareDateTime,
    Boolean,
    Date,
    DateTime,
    Decimal,
    Enum,
    Field,
    Float,
    List,
    Method,
    Nested,
)

from kommune_ikt.core.messages import N_

NUL = "\x00"
NUL_MESSAGE = N_("Text may not contain NUL (\\u0000) characters.")
SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_MESSAGE = N_(
    "Text must be valid Unicode: a lone surrogate (\\ud800 to \\udfff not in a pair) "
    "cannot be stored."
)
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
INT_MESSAGE = N_("Whole numbers must lie between -2147483648 and 2147483647.")


def unstorable_text(text: str) -> list[str]:
    """Why ``text`` cannot be stored (NUL, a lone surrogate), or nothing."""
    found = [NUL_MESSAGE] if NUL in text else []
    return found + ([SURROGATE_MESSAGE] if SURROGATE.search(text) else [])


def storable_integer(value: int | float, low: int = INT_MIN, high: int = INT_MAX) -> bool:
    """False for a whole number (``1e20`` included) that no integer column can hold.

    A float that is not whole (``0.995``) or not finite is left to its field:
    float fields take any finite value, and integer fields refuse fractions.
    """
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return True
        value = int(value)
    return low <= value <= high


class String(_ma.String):
    """Text that a column can store: no NUL, no lone surrogate."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problems = unstorable_text(text)
        if problems:
            raise ma.ValidationError(problems)
        return text


class Email(_ma.Email, String):
    """An e-mail address (marshmallow's check) that a column can store."""


class Integer(_ma.Integer):
    """A whole number that fits a 32-bit integer column, documented as its range.

    The range is checked before the field's own validators, so a number past 32
    bits gets the one message that says so (not also the field's own range).
    """

    MIN, MAX, MESSAGE = INT_MIN, INT_MAX, INT_MESSAGE

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # For the document: apispec shows the tightest of the Range validators.
        self.validators.insert(0, validate.Range(min=self.MIN, max=self.MAX, error=self.MESSAGE))

    def _validated(self, value: Any) -> int:
        # 1e20 is a whole number too (the JSON parser makes it a float).
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and not storable_integer(value, self.MIN, self.MAX):
            raise ma.ValidationError(self.MESSAGE)
        number = super()._validated(value)
        if not self.MIN <= number <= self.MAX:
            raise ma.ValidationError(self.MESSAGE)
        return number


class BigInteger(Integer):
    """A whole number that fits a 64-bit integer column (sizes in bytes)."""

    MIN, MAX = -(2**63), 2**63 - 1
    MESSAGE = N_("Whole numbers must lie between -9223372036854775808 and 9223372036854775807.")


def unstorable_json(value: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], list[str]]:
    """What no column can store inside a JSON value, by path: text, keys and whole numbers."""
    if isinstance(value, str):
        problems = unstorable_text(value)
        return {path: problems} if problems else {}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {} if storable_integer(value) else {path: [INT_MESSAGE]}
    found: dict[tuple[str, ...], list[str]] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if problems := unstorable_text(str(key)):
                found.setdefault(path, []).extend(problems)
            found.update(unstorable_json(item, (*path, str(key))))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.update(unstorable_json(item, (*path, str(i))))
    return found


def _nest(found: dict[tuple[str, ...], list[str]]) -> list[str] | dict[str, Any]:
    """``{("a", "0"): [m]}`` as marshmallow's nested messages ``{"a": {"0": [m]}}``."""
    if () in found:
        return found[()]
    nested: dict[str, Any] = {}
    for path, messages in found.items():
        node = nested
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = messages
    return nested


class Raw(_ma.Raw):
    """Any JSON value (a calendar's hours...) whose texts and numbers a column can store."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        found = unstorable_json(value)
        if found:
            raise ma.ValidationError(_nest(found))
        return super()._deserialize(value, attr, data, **kwargs)


class Dict(_ma.Dict):
    """A JSON object; keys are checked text, values JSON a column can store unless told."""

    def __init__(self, keys: Field | None = None, values: Field | None = None, **kw: Any):
        super().__init__(keys=keys or String(), values=values or Raw(), **kw)


__all__ = [
    "INT_MAX",
    "INT_MESSAGE",
    "INT_MIN",
    "NUL",
    "NUL_MESSAGE",
    "SURROGATE",
    "SURROGATE_MESSAGE",
    "AwareDateTime",
    "BigInteger",
    "Boolean",
    "Date",
    "DateTime",
    "Decimal",
    "Dict",
    "Email",
    "Enum",
    "Field",
    "Float",
    "Integer",
    "List",
    "Method",
    "Nested",
    "Raw",
    "String",
    "storable_integer",
    "unstorable_json",
    "unstorable_text",
]
