"""API schemas of the catalogue, derived from the models."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from kommune_ikt.schemas import AutoSchema
from service_catalog.models import Municipality
from service_catalog.municipalities import is_active

MUNICIPALITY_NUMBER = validate.Regexp(r"^\d{4}$", error="A 4-digit municipality number.")


class MunicipalitySchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = Municipality
        exclude = ("created_at",)
        dump_only = ("updated_at",)

    number = fields.String(required=True, validate=MUNICIPALITY_NUMBER)
    name = fields.String(validate=validate.Length(min=1, max=100))
    country = fields.String(validate=validate.OneOf(["NO", "SE"]))
    population = fields.Integer(validate=validate.Range(min=0, max=20_000_000))
    population_year = fields.Integer(validate=validate.Range(min=1900, max=2100))
    sla_policy_set = fields.String(validate=validate.Length(min=1, max=50))
    active = fields.Method("_active", dump_only=True)

    def _active(self, obj: Municipality) -> bool:
        return is_active(obj)


class MunicipalityCreateSchema(MunicipalitySchema):
    """Only ``number`` is required: the rest defaults to the official reference data."""

    class Meta(MunicipalitySchema.Meta):
        pass

    joined_on = fields.Date(load_default=None)
    name = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    population = fields.Integer(load_default=None, validate=validate.Range(min=0))
    population_year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=2100))


class MunicipalityPatchSchema(MunicipalitySchema):
    class Meta(MunicipalitySchema.Meta):
        exclude = ("created_at", "number", "updated_at")


class MunicipalityListArgs(ma.Schema):
    active = fields.Boolean(load_default=None)
