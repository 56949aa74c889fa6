"""API schemas of orders, subscriptions and special requests, derived from the models."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from kommune_ikt import fields
from kommune_ikt.schemas import (
    AutoSchema,
    AwareDateTime,
    DecimalString,
    ListArgs,
    MoneyField,
    page_schema,
)
from service_catalog.choices import OrderStatus, SpecialRequestStatus
from service_catalog.models import Order, SpecialRequest, Subscription, SubscriptionChange
from service_catalog.schemas.catalogue import MONEY_RANGE, MUNICIPALITY_NUMBER, SERVICE_CODE

QUANTITY = validate.Range(min=1, max=1_000_000, error="Must be between 1 and 1000000.")
HOURS = validate.Range(min=0, max=100_000)


def _values(choices: Any) -> list[str]:
    return [c.value for c in choices]


# --- orders ----------------------------------------------------------------------


class OrderSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = Order
        exclude = ("municipality_number",)
        dump_only = (
            "id",
            "status",
            "ticket_id",
            "created_by",
            "approved_by",
            "approved_at",
            "rejected_by",
            "rejected_at",
            "cancelled_by",
            "cancelled_at",
            "reason",
            "fulfilled_by",
            "fulfilled_at",
            "start_on",
            "subscription_id",
            "created_at",
            "updated_at",
        )

    municipality = fields.String(attribute="municipality_number", validate=MUNICIPALITY_NUMBER)
    service_code = fields.String(required=True, validate=SERVICE_CODE)
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class OrderCreateSchema(OrderSchema):
    """``municipality`` only for IT roles (municipal callers order for their own)."""

    class Meta(OrderSchema.Meta):
        pass

    municipality = fields.String(load_default=None, validate=MUNICIPALITY_NUMBER)


class OrderReasonSchema(ma.Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class FulfilSchema(ma.Schema):
    start_on = fields.Date(required=True, metadata={"description": "First day of the service"})


class OrderListArgs(ListArgs):
    municipality = fields.String(validate=MUNICIPALITY_NUMBER)
    status = fields.String(validate=validate.OneOf(_values(OrderStatus)))
    service_code = fields.String(validate=SERVICE_CODE)


OrderPageSchema = page_schema(OrderSchema, "OrderPage")


# --- subscriptions -----------------------------------------------------------------


class SubscriptionChangeSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = SubscriptionChange
        fields = ("effective_on", "quantity", "order_id")


class SubscriptionSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = Subscription
        exclude = ("municipality_number",)
        dump_only = ("id", "service_code", "start_on", "created_at", "updated_at")

    municipality = fields.String(attribute="municipality_number", dump_only=True)
    quantity = fields.Integer(strict=True, validate=QUANTITY)
    end_on = fields.Date(allow_none=True)
    changes = fields.List(
        fields.Nested(SubscriptionChangeSchema),
        dump_only=True,
        metadata={"description": "Quantity history: each quantity holds until the next."},
    )


class SubscriptionEditSchema(ma.Schema):
    """One change of a subscription: who, when, old and new."""

    field = fields.String(metadata={"description": "quantity or end_on"})
    old_value = fields.String(allow_none=True)
    new_value = fields.String(allow_none=True)
    effective_on = fields.Date(
        allow_none=True, metadata={"description": "quantity: the day the new one holds from"}
    )
    source = fields.String(metadata={"description": "order, edit or left (the member left)"})
    order_id = fields.Integer(allow_none=True)
    changed_by = fields.Integer(allow_none=True, metadata={"description": "user id; null: system"})
    changed_at = AwareDateTime()


SubscriptionEditPageSchema = page_schema(SubscriptionEditSchema, "SubscriptionEditPage")


class SubscriptionPatchSchema(ma.Schema):
    quantity = fields.Integer(strict=True, validate=QUANTITY)
    effective_on = fields.Date(
        metadata={"description": "From when the new quantity holds (default today)"}
    )
    end_on = fields.Date(
        allow_none=True, metadata={"description": "First day no longer charged (exclusive)"}
    )


class SubscriptionListArgs(ListArgs):
    municipality = fields.String(validate=MUNICIPALITY_NUMBER)
    service_code = fields.String(validate=SERVICE_CODE)
    active_on = fields.Date(metadata={"description": "Only those running on this day"})


SubscriptionPageSchema = page_schema(SubscriptionSchema, "SubscriptionPage")


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

    municipality = fields.String(attribute="municipality_number", validate=MUNICIPALITY_NUMBER)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=20_000))
    service_code = fields.String(
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
        pass

    municipality = fields.String(load_default=None, validate=MUNICIPALITY_NUMBER)
    service_code = fields.String(load_default=None, validate=SERVICE_CODE)


class QuoteArgsSchema(ma.Schema):
    """Exactly one of ``hours`` (priced at the service's hourly rate) or ``amount``."""

    hours = DecimalString(places=2, validate=HOURS)
    amount = MoneyField(validate=MONEY_RANGE)
    service_code = fields.String(
        validate=SERVICE_CODE, metadata={"description": "Price by another special service"}
    )


class SpecialRequestPatchSchema(ma.Schema):
    priority_rank = fields.Integer(strict=True, validate=validate.Range(min=1))
    status = fields.String(validate=validate.OneOf(_values(SpecialRequestStatus)))
    actual_hours = DecimalString(places=2, validate=HOURS)


class SpecialRequestListArgs(ListArgs):
    municipality = fields.String(validate=MUNICIPALITY_NUMBER)
    status = fields.String(validate=validate.OneOf(_values(SpecialRequestStatus)))


SpecialRequestPageSchema = page_schema(SpecialRequestSchema, "SpecialRequestPage")
