"""API schemas of member municipalities and their populations, derived from the models."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import (
    AutoSchema,
    ListArgs,
    page_schema,
)
from service_catalog.models import (
    Municipality,
)
from service_catalog.municipalities import is_active
from service_catalog.schemas.validators import (
    MUNICIPALITY_NUMBER,
)

# A mail domain: labels of letters, digits and hyphens (IDNs in their xn-- form), a dot between.
EMAIL_DOMAIN = validate.Regexp(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$",
    error="A mail domain such as kristiansund.kommune.no.",
)


class MunicipalitySchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = Municipality
        exclude: tuple[str, ...] = ("created_at",)
        dump_only = ("updated_at",)

    number = fields.String(required=True, validate=MUNICIPALITY_NUMBER)
    name = fields.String(validate=validate.Length(min=1, max=100))
    country = fields.String(validate=validate.OneOf(["NO", "SE"]))
    population = fields.Integer(validate=validate.Range(min=0, max=20_000_000))
    population_year = fields.Integer(validate=validate.Range(min=1900, max=2100))
    sla_policy_set = fields.String(validate=validate.Length(min=1, max=50))
    email_domains = fields.List(
        fields.String(validate=EMAIL_DOMAIN), validate=validate.Length(max=50)
    )
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


class MunicipalityListArgs(ListArgs):
    active = fields.Boolean(load_default=None)


class PopulationSchema(ma.Schema):
    """A municipality's population in one year (1 January), and where the figure is from."""

    year = fields.Integer(dump_only=True)
    population = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=20_000_000)
    )
    source = fields.String(load_default="", validate=validate.Length(max=500))


PopulationPageSchema = page_schema(PopulationSchema, "PopulationPage")

MunicipalityPageSchema = page_schema(MunicipalitySchema, "MunicipalityPage")
