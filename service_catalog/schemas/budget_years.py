"""API schemas of budget years (open or closed)."""

from __future__ import annotations

import marshmallow as ma

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import (
    AwareDateTime,
    page_schema,
)


class BudgetYearSchema(ma.Schema):
    year = fields.Integer(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": "open or closed"})
    closed_at = AwareDateTime(dump_only=True, allow_none=True)
    closed_by = fields.Integer(dump_only=True, allow_none=True)


BudgetYearPageSchema = page_schema(BudgetYearSchema, "BudgetYearPage")
