"""API schemas of services, their prices and participants, derived from the models."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import validate

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import (
    AutoSchema,
    ListArgs,
    MoneyField,
    page_schema,
)
from service_catalog.choices import (
    Period,
    PriceModel,
    ServiceHours,
    ServiceStatus,
    Tier,
    Unit,
)
from service_catalog.models import (
    Service,
)
from service_catalog.schemas.validators import (
    KEY_NAME,
    MONEY_RANGE,
    MUNICIPALITY_NUMBER,
    SERVICE_CODE,
    choice_values,
)


class ParticipantsSchema(ma.Schema):
    """Who shares a basic service's cost in a budget year."""

    service_code = fields.String(dump_only=True)
    year = fields.Integer(dump_only=True)
    municipalities = fields.List(
        fields.String(validate=MUNICIPALITY_NUMBER),
        required=True,
        validate=validate.Length(max=1000),
    )
    default = fields.Boolean(
        dump_only=True, metadata={"description": "true: none named, every member takes part"}
    )


class Ratio(fields.Field):
    """A ratio between 0 and 1 as a JSON number (``0.995``), kept exact as a Decimal."""

    default_error_messages = {
        "type": "Must be a JSON number, e.g. 0.995.",
        "range": "Must be between 0 and 1.",
    }

    def _serialize(self, value: Any, attr: Any, obj: Any, **kw: Any) -> float | None:
        return None if value is None else float(value)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("type")
        number = Decimal(str(value))
        if not 0 <= number <= 1:
            raise self.make_error("range")
        return number


# Which price fields each model shows; the rest are left out of the response.
PRICE_FIELDS = {
    PriceModel.ALLOCATION.value: ("annual_cost", "allocation_key"),
    PriceModel.UNIT.value: ("unit", "unit_price", "period", "setup_fee"),
    PriceModel.QUOTE.value: ("hourly_rate",),
}


class PriceSchema(ma.Schema):
    """A year's price; its shape depends on the service's tier (``model``)."""

    year = fields.Integer(dump_only=True)
    model = fields.String(validate=validate.OneOf(choice_values(PriceModel)))
    annual_cost = MoneyField(
        validate=MONEY_RANGE, metadata={"description": "basic: the year's cost to share"}
    )
    allocation_key = fields.String(
        validate=KEY_NAME, metadata={"description": "basic: key name (default key if left out)"}
    )
    unit = fields.String(validate=validate.OneOf(choice_values(Unit)))
    unit_price = MoneyField(validate=MONEY_RANGE)
    period = fields.String(validate=validate.OneOf(choice_values(Period)))
    setup_fee = MoneyField(
        validate=MONEY_RANGE,
        metadata={"description": "optional: once, when a subscription starts"},
    )
    hourly_rate = MoneyField(
        validate=MONEY_RANGE, metadata={"description": "special: NOK per hour"}
    )

    @ma.post_dump
    def _only_the_model_fields(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        keep = {"year", "model", *PRICE_FIELDS.get(data.get("model", ""), ())}
        out = {k: v for k, v in data.items() if k in keep}
        if out.get("model") == PriceModel.UNIT.value and out.get("setup_fee") is None:
            out["setup_fee"] = "0.00"
        return out


class ServiceSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = Service
        dump_only = ("created_at", "updated_at")

    code = fields.String(required=True, validate=SERVICE_CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=10_000))
    tier = fields.String(required=True, validate=validate.OneOf(choice_values(Tier)))
    category = fields.String(validate=validate.Length(max=100))
    status = fields.String(validate=validate.OneOf(choice_values(ServiceStatus)))
    availability_target = Ratio(allow_none=True)
    service_hours = fields.String(validate=validate.OneOf(choice_values(ServiceHours)))
    owner_team = fields.String(validate=validate.Length(max=100))
    price = fields.Nested(
        PriceSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "The price of the current budget year (null if none)."},
    )


class ServicePatchSchema(ServiceSchema):
    class Meta(ServiceSchema.Meta):
        exclude = ("code", "created_at", "updated_at")


class ServiceListArgs(ListArgs):
    tier = fields.String(validate=validate.OneOf(choice_values(Tier)))
    status = fields.String(validate=validate.OneOf(choice_values(ServiceStatus)))
    q = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Words in the code, name, description or category"},
    )


class PricePutSchema(PriceSchema):
    """Only the fields of the service's model may be given; the service checks which."""


ServicePageSchema = page_schema(ServiceSchema, "ServicePage")
PricePageSchema = page_schema(PriceSchema, "PricePage")
