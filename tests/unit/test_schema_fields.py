"""Every field a request can fill refuses what no column stores, and the document shows it."""

from __future__ import annotations

import marshmallow as ma
import pytest
from flask_smorest.fields import Upload

from kommune_ikt.app import create_app
from kommune_ikt.web import fields
from kommune_ikt.web.schemas import DecimalString

PACKAGES = ("kommune_ikt", "service_catalog", "servicedesk", "metrics", "portal")
# Fields that cannot carry text or a whole number into a column unchecked.
HARMLESS = (
    ma.fields.Boolean,
    ma.fields.Date,
    ma.fields.DateTime,
    ma.fields.Float,
    ma.fields.Decimal,
    ma.fields.Enum,
    DecimalString,
    Upload,  # a multipart file, checked by the attachment service
)


def _schemas() -> list[type[ma.Schema]]:
    create_app({"database_url": "sqlite://", "secret_key": "x"})  # imports every schema
    found, todo = [], [ma.Schema]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PACKAGES:
            found.append(cls)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _unguarded(field: ma.fields.Field, name: str) -> list[str]:
    """The loadable fields under ``field`` that would pass NUL or a 64-bit number along."""
    if field.dump_only:
        return []
    if isinstance(field, ma.fields.List):
        return _unguarded(field.inner, f"{name}[]")
    if isinstance(field, ma.fields.Dict):
        keys = _unguarded(field.key_field, f"{name}{{key}}") if field.key_field else [name]
        values = _unguarded(field.value_field, f"{name}{{}}") if field.value_field else [name]
        return keys + values
    if isinstance(field, ma.fields.Nested):
        return []  # its schema is walked on its own
    if isinstance(field, ma.fields.String | ma.fields.Integer | ma.fields.Raw):
        return [] if isinstance(field, fields.String | fields.Integer | fields.Raw) else [name]
    if isinstance(field, HARMLESS) or type(field).__module__.split(".")[0] in PACKAGES:
        return []  # our own field types (Ratio, DecimalString) check their input themselves
    return [name]


SCHEMAS = _schemas()


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_loadable_field_refuses_what_no_column_stores(schema):
    loadable = schema().load_fields
    unguarded = [hit for name, field in loadable.items() for hit in _unguarded(field, name)]
    assert unguarded == [], "use kommune_ikt.web.fields, not marshmallow.fields, for these"


def test_the_schemas_were_found():
    names = {c.__qualname__ for c in SCHEMAS}
    assert {"TicketCreateSchema", "PolicySetSchema", "CalendarSchema", "ListArgs"} <= names


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (fields.String(), "a\x00b", fields.NUL_MESSAGE),
        (fields.String(), "a\ud800b", fields.SURROGATE_MESSAGE),
        (fields.Email(), "a\x00@b.no", fields.NUL_MESSAGE),
        (fields.Integer(), 2**31, fields.INT_MESSAGE),
        (fields.Integer(), -(2**31) - 1, fields.INT_MESSAGE),
        (fields.Integer(), 1e20, fields.INT_MESSAGE),
        (fields.Integer(), "99999999999", fields.INT_MESSAGE),
        (fields.Integer(strict=True), 2**40, fields.INT_MESSAGE),
        (fields.BigInteger(), 2**63, fields.BigInteger.MESSAGE),
    ],
)
def test_a_field_refuses_what_no_column_stores(field, value, message):
    with pytest.raises(ma.ValidationError) as refused:
        field.deserialize(value)
    assert message in refused.value.messages


def test_a_number_past_32_bits_gets_one_message_not_also_the_fields_range():
    field = fields.Integer(validate=ma.validate.Range(min=1, max=4))
    with pytest.raises(ma.ValidationError) as refused:
        field.deserialize(2**40)
    assert refused.value.messages == [fields.INT_MESSAGE]


def test_the_extremes_of_32_bits_and_a_surrogate_pair_pass():
    assert fields.Integer().deserialize(2**31 - 1) == 2**31 - 1
    assert fields.Integer().deserialize(-(2**31)) == -(2**31)
    assert fields.String().deserialize("\U0001f5a8") == "\U0001f5a8"


def test_raw_json_names_the_path_inside_the_value():
    field = fields.Raw()
    with pytest.raises(ma.ValidationError) as refused:
        field.deserialize({"mon": [["08:00", "1\x00"]], "n": 2**40})
    assert refused.value.messages == {
        "mon": {"0": {"1": [fields.NUL_MESSAGE]}},
        "n": [fields.INT_MESSAGE],
    }


def test_the_document_shows_the_ranges_and_lengths():
    app = create_app({"database_url": "sqlite://", "secret_key": "x"})
    schemas = app.test_client().get("/api/v1/openapi.json").json["components"]["schemas"]
    create = schemas["TicketCreate"]["properties"]
    assert create["title"]["maxLength"] == 200
    assert create["impact"]["minimum"] == 1 and create["impact"]["maximum"] == 3
    policy = schemas["Policy"]["properties"]
    assert policy["response_minutes"]["maximum"] == 525_600
    population = schemas["MunicipalityCreate"]["properties"]["population"]
    assert population["maximum"] == 2**31 - 1


def test_the_ticket_variants_take_their_fields_from_one_schema():
    from servicedesk.schemas import RoutingTestSchema, TicketCreateSchema, TicketPatchSchema

    draft = {"title": "Skriver", "description": "Papirstopp.", "type": "incident"}
    created = TicketCreateSchema().load({**draft, "impact": 2, "urgency": 2})
    assert created["municipality"] is None and created["queue"] is None
    assert TicketPatchSchema().load({}) == {}
    tested = RoutingTestSchema().load({**draft, "description": "", "municipality": "1505"})
    assert (tested["impact"], tested["urgency"], tested["description"]) == (3, 3, "")
    with pytest.raises(ma.ValidationError) as refused:
        TicketCreateSchema().load({**draft, "title": "x" * 201, "impact": 2, "urgency": 2})
    assert refused.value.messages == {"title": ["Length must be between 1 and 200."]}
