"""API schemas of cost reports."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import MoneyField
from service_catalog.reports.csv_export import Dialect
from service_catalog.schemas.validators import MUNICIPALITY_NUMBER


class CostReportArgs(ma.Schema):
    municipality = fields.String(validate=MUNICIPALITY_NUMBER)
    dialect = fields.String(
        load_default=Dialect.RFC4180.value,
        validate=validate.OneOf([d.value for d in Dialect]),
        metadata={"description": "CSV only: excel-no gives semicolons, decimal commas and a BOM"},
    )


class TotalsSchema(ma.Schema):
    basic = MoneyField()
    optional = MoneyField()
    special = MoneyField()
    total = MoneyField()


class CostLineSchema(ma.Schema):
    service_code = fields.String()
    service_name = fields.String()
    tier = fields.String()
    month = fields.String(allow_none=True, metadata={"description": "YYYY-MM, or null (year)"})
    rule = fields.String(metadata={"description": "The rule that produced the line"})
    description = fields.String(metadata={"description": "The arithmetic, to check by hand"})
    quantity = fields.Float(
        metadata={"description": "basic: the share; optional: units; special: hours"}
    )
    amount = MoneyField()


class CostReportSchema(ma.Schema):
    year = fields.Integer()
    municipality = fields.String()
    name = fields.String()
    lines = fields.List(fields.Nested(CostLineSchema))
    totals = fields.Nested(TotalsSchema)


class CollaborationRowSchema(ma.Schema):
    municipality = fields.String()
    name = fields.String()
    totals = fields.Nested(TotalsSchema)


class UnallocatedLineSchema(ma.Schema):
    service_code = fields.String()
    service_name = fields.String()
    month = fields.String(metadata={"description": "YYYY-MM"})
    description = fields.String()
    amount = MoneyField()


class CollaborationReportSchema(ma.Schema):
    year = fields.Integer()
    municipalities = fields.List(fields.Nested(CollaborationRowSchema))
    unallocated = fields.List(
        fields.Nested(UnallocatedLineSchema),
        metadata={
            "description": "Basic cost of months with no participating member to carry it; "
            "included in the collaboration's totals"
        },
    )
    totals = fields.Nested(TotalsSchema)
