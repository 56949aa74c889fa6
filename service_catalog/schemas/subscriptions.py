"""API schemas of subscriptions and their changes, derived from the models."""

from __future__ import annotations

import marshmallow as ma

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import (
    AutoSchema,
    AwareDateTime,
    ListArgs,
    page_schema,
)
from service_catalog.models import (
    Subscription,
    SubscriptionChange,
)
from service_catalog.schemas.validators import (
    MUNICIPALITY_NUMBER,
    QUANTITY,
    SERVICE_CODE,
)

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
