"""API schemas of allocation keys."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import validate

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import (
    AwareDateTime,
    DecimalString,
    page_schema,
)
from service_catalog.schemas.validators import (
    KEY_NAME,
    MUNICIPALITY_NUMBER,
)


def _at_most_ten_places(value: Decimal) -> None:
    """Weights and shares are exact decimals; ten places is finer than any key needs.

    Checked here rather than with ``places=`` so the value is shown as given.
    """
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -10:
        raise ma.ValidationError("At most 10 decimals.")


# --- allocation keys -------------------------------------------------------------


class AllocationKeySchema(ma.Schema):
    """Weighted (``equal_weight`` + ``population_weight``) or ``fixed_shares``; each sums to 1."""

    name = fields.String(required=True, validate=KEY_NAME)
    description = fields.String(validate=validate.Length(max=500))
    kind = fields.String(dump_only=True, metadata={"description": "weighted or fixed"})
    equal_weight = DecimalString(allow_none=True, validate=_at_most_ten_places)
    population_weight = DecimalString(allow_none=True, validate=_at_most_ten_places)
    population_year = fields.Integer(
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1900, max=2100),
        metadata={
            "description": "Weighted keys: whose population figures to use for every budget "
            "year; null (default): the year before the budget year"
        },
    )
    fixed_shares = fields.Dict(
        keys=fields.String(validate=MUNICIPALITY_NUMBER),
        values=DecimalString(validate=_at_most_ten_places),
        allow_none=True,
        metadata={"description": 'Ratio per municipality number, e.g. {"1505": "0.4"}'},
    )
    default = fields.Boolean(attribute="is_default")
    updated_at = AwareDateTime(dump_only=True)


class AllocationKeyPutSchema(AllocationKeySchema):
    """The whole key; the name comes from the path (a name in the body must match it)."""

    name = fields.String(validate=KEY_NAME)


AllocationKeyPageSchema = page_schema(AllocationKeySchema, "AllocationKeyPage")
