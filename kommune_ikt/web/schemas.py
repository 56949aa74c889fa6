"""Shared marshmallow pieces: the model-derived base schema, money, lists, problems."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import validate
from marshmallow_sqlalchemy import ModelConverter, SQLAlchemyAutoSchema

from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from kommune_ikt.core.types import CENT, DecimalText, Money, UTCDateTime
from kommune_ikt.web import fields


class DecimalString(fields.Field):
    """An exact decimal given and shown as a JSON string; a JSON number is refused.

    A number would pass through a float in most clients, which is exactly what
    money and allocation weights must never do.
    """

    default_error_messages = {
        "type": N_('Must be a decimal string, e.g. "1234.50", not a number.'),
        "invalid": N_("Not a valid decimal."),
        "places": "At most {places} decimals.",
        "negative": N_("Must not be negative."),
        "too_large": "Must be less than 1000000000000000 in size, with at most 30 digits.",
    }
    # Past this, whole øre no longer fit a 64-bit column, and the text form no
    # longer fits its 40 characters: a 422 here instead of a 500 in the database.
    LIMIT = Decimal(10) ** 15
    MAX_DIGITS = 30

    def __init__(self, *, places: int | None = None, allow_negative: bool = False, **kw: Any):
        super().__init__(**kw)
        self.places = places
        self.allow_negative = allow_negative
        self.metadata = {"example": "1234.50" if places == 2 else "0.3", **self.metadata}

    def _serialize(self, value: Any, attr: Any, obj: Any, **kw: Any) -> str | None:
        if value is None:
            return None
        value = Decimal(value)
        if self.places is not None:
            value = value.quantize(Decimal(1).scaleb(-self.places))
        return format(value, "f")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Decimal:
        if not isinstance(value, str):
            raise self.make_error("type")
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise self.make_error("invalid")
        if not number.is_finite():
            raise self.make_error("invalid")
        if abs(number) >= self.LIMIT or len(number.as_tuple().digits) > self.MAX_DIGITS:
            raise self.make_error("too_large")
        if self.places is not None:
            exponent = number.as_tuple().exponent
            if isinstance(exponent, int) and exponent < -self.places:
                raise self.make_error("places", places=self.places)
        if number < 0 and not self.allow_negative:
            raise self.make_error("negative")
        return number


MONEY_DESCRIPTION = 'An amount in NOK with two decimals, as a string (e.g. "1234.50").'


def MoneyField(**kw: Any) -> DecimalString:
    """An amount in the deployment's currency with two decimals, as a string.

    The API document says NOK here; ``app.document_currency`` writes the
    deployment's ``CURRENCY`` in its place.
    """
    metadata = dict(kw.pop("metadata", None) or {})
    given = (metadata.get("description") or "").rstrip(".")
    metadata["description"] = f"{given}. {MONEY_DESCRIPTION}" if given else MONEY_DESCRIPTION
    metadata["x-currency"] = "NOK"
    return DecimalString(places=2, metadata=metadata, **kw)


# Times a client may send. Far inside datetime's years 1..9999, so that windows,
# defaults and clocks computed from them (a 30-day default window, ten-year
# reports) can never overflow into a 500 (schemathesis found `to=0001-01-01...`).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


class AwareDateTime(fields.AwareDateTime):
    """RFC 3339 with offset, in the years 1900 to 2999; input without an offset is refused."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(format="iso", **kw)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST <= moment < LATEST:
            raise ma.ValidationError(N_("Must be in the years 1900 to 2999."))
        return moment


def _money_field(_converter: ModelConverter, _type: Any) -> Callable[[], fields.Field]:
    # marshmallow-sqlalchemy calls a mapping's non-Field entry with (converter, column type)
    # and then calls what that returns with the field's keyword arguments.
    return MoneyField


class Converter(ModelConverter):
    """Maps our column types to the right marshmallow fields.

    Text and whole numbers get the fields that refuse what the column cannot
    store (NUL, lone surrogates, numbers past the column's bits), so every
    derived field carries the refusal and the document shows it.
    """

    SQLA_TYPE_MAPPING = {
        **ModelConverter.SQLA_TYPE_MAPPING,
        UTCDateTime: AwareDateTime,
        Money: _money_field,
        DecimalText: DecimalString,
        sa.String: fields.String,
        sa.Integer: fields.Integer,
        sa.BigInteger: fields.BigInteger,
        sa.JSON: fields.Raw,
    }

    def property2field(self, prop: Any, *, instance: bool = True, **kwargs: Any) -> Any:
        """The column's field; validators given to ``auto_field`` add to the column's own.

        marshmallow-sqlalchemy would replace the column's ``Length(max=...)`` with
        the given list, so ``auto_field(validate=Length(min=1))`` would drop the
        limit the column sets. A given Length without a maximum takes the
        column's; one with a larger maximum than the column holds is a bug.
        """
        if instance and "validate" in kwargs and hasattr(prop, "columns"):
            derived = self._get_field_kwargs_for_property(prop)["validate"]
            kwargs["validate"] = _merge_validators(derived, kwargs["validate"], prop.key)
        return super().property2field(prop, instance=instance, **kwargs)  # type: ignore[call-overload]


def _merge_validators(derived: list[Any], given: Any, name: str) -> list[Any]:
    merged = [given] if callable(given) else list(given)
    # A choice or a pattern bounds the text itself; the column's length would only
    # add a second message to the one that says what is allowed.
    if any(isinstance(v, validate.OneOf | validate.Regexp) for v in merged):
        derived = [v for v in derived if not isinstance(v, validate.Length)]
    for validator in derived:
        length = next((v for v in merged if isinstance(v, validate.Length)), None)
        if not isinstance(validator, validate.Length) or length is None:
            merged.insert(0, validator)
        elif length.max is None and length.equal is None:
            combined = validate.Length(min=length.min, max=validator.max, error=length.error)
            merged[merged.index(length)] = combined
        elif validator.max is not None and (length.max or length.equal or 0) > validator.max:
            raise ValueError(f"{name}: the column holds at most {validator.max} characters")
    return merged


class AutoSchema(SQLAlchemyAutoSchema):
    """Base for schemas derived from SQLModel tables, so no field is declared twice."""

    # Fields inferred from Python types (``Meta.fields`` naming a non-column) are ours too.
    TYPE_MAPPING = {
        **SQLAlchemyAutoSchema.TYPE_MAPPING,
        str: fields.String,
        int: fields.Integer,
    }

    class Meta:
        model_converter = Converter
        load_instance = False
        include_fk = True
        include_relationships = False
        # A variant (create, patch, dry run) of a schema names, instead of declaring
        # its fields again: ``required``, the fields a request must give (None: those
        # whose column is NOT NULL without a default), and ``load_defaults``, what a
        # missing field becomes (a None default also lets the field be null).
        required: tuple[str, ...] | None = None
        load_defaults: dict[str, Any] = {}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        """Apply the variant's ``Meta.required`` and ``Meta.load_defaults`` to the field."""
        required = getattr(self.Meta, "required", None)
        if required is not None and not field_obj.dump_only:
            field_obj.required = field_name in required
        defaults = getattr(self.Meta, "load_defaults", {})
        if field_name in defaults:
            default = defaults[field_name]
            field_obj.required = False
            field_obj.load_default = default
            field_obj.allow_none = field_obj.allow_none or default is None

    def load(self, data: Any, **kwargs: Any) -> Any:
        """marshmallow's own load: these schemas never load model instances, and
        marshmallow-sqlalchemy 1.x's instance-loading ``load`` reads the installed
        marshmallow's version from the package metadata on every call (~190 µs, ten
        times the load itself, on every ticket creation)."""
        return ma.Schema.load(self, data, **kwargs)


class ListArgs(ma.Schema):
    """Keyset pagination parameters."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )
    cursor = fields.String(load_default=None, validate=validate.Length(max=500))


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """``{"items": [...], "next_cursor": ...}`` around an item schema."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(allow_none=True, required=True),
        },
    )


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem (the body of every error response)."""

    class Meta:
        # RFC 9457 extension members (e.g. ``conflicting_outage``) may follow.
        unknown = ma.INCLUDE

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "For 422 (and some 409): messages per field"},
    )


__all__ = [
    "CENT",
    "AutoSchema",
    "AwareDateTime",
    "DecimalString",
    "ListArgs",
    "MoneyField",
    "ProblemSchema",
    "page_schema",
]
