"""API schemas of the catalogue, derived from the models."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
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
from service_catalog.choices import (
    Period,
    PriceModel,
    ServiceHours,
    ServiceStatus,
    Tier,
    Unit,
)
from service_catalog.models import Municipality, Service
from service_catalog.municipalities import is_active

MUNICIPALITY_NUMBER = validate.Regexp(r"^\d{4}$", error="A 4-digit municipality number.")
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


class BudgetYearSchema(ma.Schema):
    year = fields.Integer(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": "open or closed"})
    closed_at = AwareDateTime(dump_only=True, allow_none=True)
    closed_by = fields.Integer(dump_only=True, allow_none=True)


BudgetYearPageSchema = page_schema(BudgetYearSchema, "BudgetYearPage")


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


MunicipalityPageSchema = page_schema(MunicipalitySchema, "MunicipalityPage")


# --- services and prices -------------------------------------------------------

SERVICE_CODE = validate.Regexp(
    r"^[A-Z0-9][A-Z0-9._-]{0,39}$",
    error="Capital letters, digits, '.', '_' and '-', at most 40 (e.g. M365-LIC).",
)
KEY_NAME = validate.Length(min=1, max=80)
# Ten billion NOK: far above any line of a municipal IT budget, and far below
# what a BigInteger of øre holds even multiplied by hours or quantities.
MONEY_RANGE = validate.Range(max=Decimal("9999999999.99"), error="At most 9999999999.99.")


def _at_most_ten_places(value: Decimal) -> None:
    """Weights and shares are exact decimals; ten places is finer than any key needs.

    Checked here rather than with ``places=`` so the value is shown as given.
    """
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -10:
        raise ma.ValidationError("At most 10 decimals.")


def _values(choices: type[StrEnum]) -> list[str]:
    return [c.value for c in choices]


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
    model = fields.String(validate=validate.OneOf(_values(PriceModel)))
    annual_cost = MoneyField(
        validate=MONEY_RANGE, metadata={"description": "basic: the year's cost to share"}
    )
    allocation_key = fields.String(
        validate=KEY_NAME, metadata={"description": "basic: key name (default key if left out)"}
    )
    unit = fields.String(validate=validate.OneOf(_values(Unit)))
    unit_price = MoneyField(validate=MONEY_RANGE)
    period = fields.String(validate=validate.OneOf(_values(Period)))
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
    tier = fields.String(required=True, validate=validate.OneOf(_values(Tier)))
    category = fields.String(validate=validate.Length(max=100))
    status = fields.String(validate=validate.OneOf(_values(ServiceStatus)))
    availability_target = Ratio(allow_none=True)
    service_hours = fields.String(validate=validate.OneOf(_values(ServiceHours)))
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
    tier = fields.String(validate=validate.OneOf(_values(Tier)))
    status = fields.String(validate=validate.OneOf(_values(ServiceStatus)))
    q = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Words in the code, name, description or category"},
    )


class PricePutSchema(PriceSchema):
    """Only the fields of the service's model may be given; the service checks which."""


ServicePageSchema = page_schema(ServiceSchema, "ServicePage")
PricePageSchema = page_schema(PriceSchema, "PricePage")


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
