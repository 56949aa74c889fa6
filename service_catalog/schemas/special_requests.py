"""API schemas of special requests and their quotes, derived from the model."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate
from marshmallow_sqlalchemy import auto_field

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import (
    AutoSchema,
    DecimalString,
    ListArgs,
    MoneyField,
    page_schema,
)
from service_catalog.choices import (
    SpecialRequestStatus,
)
from service_catalog.models import (
    SpecialRequest,
)
from service_catalog.schemas.validators import (
    HOURS,
    MONEY_RANGE,
    MUNICIPALITY_NUMBER,
    SERVICE_CODE,
    choice_values,
)

# --- special requests ----------------------------------------------------------------


class QuoteSchema(ma.Schema):
    hours = DecimalString(places=2, allow_none=True)
    hourly_rate = MoneyField(allow_none=True)
    amount = MoneyField(allow_none=True)


class SpecialRequestSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = SpecialRequest
        exclude = ("municipality_number", "quote_hours", "quote_hourly_rate", "quote_amount")
        dump_only = (
            "id",
            "status",
            "priority_rank",
            "actual_hours",
            "quoted_by",
            "quoted_at",
            "decided_by",
            "accepted_at",
            "rejected_at",
            "started_at",
            "delivered_at",
            "created_by",
            "created_at",
            "updated_at",
        )
        # The service may be left out: the special service whose rate applies is found.
        required = ("title",)
        load_defaults = {"description": ""}

    municipality = fields.String(attribute="municipality_number", validate=MUNICIPALITY_NUMBER)
    title = auto_field(validate=validate.Length(min=1))
    description = auto_field(validate=validate.Length(max=20_000))
    service_code = auto_field(
        validate=SERVICE_CODE,
        metadata={"description": "The special service whose hourly rate applies"},
    )
    quote = fields.Method("_quote", dump_only=True)
    actual_hours = DecimalString(places=2, dump_only=True)

    def _quote(self, obj: SpecialRequest) -> dict[str, Any] | None:
        if obj.quote_amount is None:
            return None
        return QuoteSchema().dump(
            {
                "hours": obj.quote_hours,
                "hourly_rate": obj.quote_hourly_rate,
                "amount": obj.quote_amount,
            }
        )


class SpecialRequestCreateSchema(SpecialRequestSchema):
    class Meta(SpecialRequestSchema.Meta):
        load_defaults = {**SpecialRequestSchema.Meta.load_defaults, "service_code": None}

    municipality = fields.String(load_default=None, validate=MUNICIPALITY_NUMBER)


class QuoteArgsSchema(ma.Schema):
    """Exactly one of ``hours`` (priced at the service's hourly rate) or ``amount``."""

    hours = DecimalString(places=2, validate=HOURS)
    amount = MoneyField(validate=MONEY_RANGE)
    service_code = fields.String(
        validate=SERVICE_CODE, metadata={"description": "Price by another special service"}
    )


class SpecialRequestPatchSchema(ma.Schema):
    priority_rank = fields.Integer(strict=True, validate=validate.Range(min=1))
    status = fields.String(validate=validate.OneOf(choice_values(SpecialRequestStatus)))
    actual_hours = DecimalString(places=2, validate=HOURS)


class SpecialRequestListArgs(ListArgs):
    municipality = fields.String(validate=MUNICIPALITY_NUMBER)
    status = fields.String(validate=validate.OneOf(choice_values(SpecialRequestStatus)))


SpecialRequestPageSchema = page_schema(SpecialRequestSchema, "SpecialRequestPage")
