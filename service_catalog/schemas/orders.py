"""API schemas of orders of optional services, derived from the model."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from marshmallow_sqlalchemy import auto_field

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import (
    AutoSchema,
    ListArgs,
    page_schema,
)
from service_catalog.choices import (
    OrderStatus,
)
from service_catalog.models import (
    Order,
)
from service_catalog.schemas.validators import (
    MUNICIPALITY_NUMBER,
    QUANTITY,
    SERVICE_CODE,
    choice_values,
)

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
        load_defaults = {"note": ""}

    # Dumped from the column; OrderCreateSchema loads it under its own name.
    municipality = fields.String(attribute="municipality_number", validate=MUNICIPALITY_NUMBER)
    service_code = auto_field(validate=SERVICE_CODE)
    quantity = auto_field(strict=True, validate=QUANTITY)
    note = auto_field(validate=validate.Length(max=2000))


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
    status = fields.String(validate=validate.OneOf(choice_values(OrderStatus)))
    service_code = fields.String(validate=SERVICE_CODE)


OrderPageSchema = page_schema(OrderSchema, "OrderPage")
