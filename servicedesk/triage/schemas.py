"""API schemas of triage: models with their figures, and suggestions."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import AwareDateTime, page_schema


class FieldFiguresSchema(ma.Schema):
    """Measured on the held-out newest fifth (docs/triage.md explains each figure)."""

    accuracy = fields.Float(allow_none=True)
    top3_accuracy = fields.Float(allow_none=True)
    threshold = fields.Float(allow_none=True)
    precision_at_threshold = fields.Float(allow_none=True)
    coverage_at_threshold = fields.Float()
    held_out = fields.Integer()


class TriageModelSchema(ma.Schema):
    version = fields.Integer()
    trained_at = AwareDateTime()
    trained_by = fields.Integer(allow_none=True)
    samples = fields.Integer()
    window_from = AwareDateTime(allow_none=True)
    window_to = AwareDateTime(allow_none=True)
    active = fields.Boolean()
    fields_ = fields.Dict(
        keys=fields.String(), values=fields.Nested(FieldFiguresSchema), data_key="fields",
        attribute="figures",
    )  # fmt: skip


TriageModelPageSchema = page_schema(TriageModelSchema, "TriageModelPage")


class SuggestArgsSchema(ma.Schema):
    # As long as a ticket's; empty is allowed (and gets no suggestions).
    title = fields.String(load_default="", validate=validate.Length(max=200))
    description = fields.String(load_default="", validate=validate.Length(max=20_000))


class ScoredValueSchema(ma.Schema):
    value = fields.String()
    confidence = fields.Float()


class SuggestionSchema(ma.Schema):
    """Best first, up to 3 per field; ``model_version`` null and empty lists without a model."""

    model_version = fields.Integer(allow_none=True)
    queue = fields.List(fields.Nested(ScoredValueSchema))
    category = fields.List(fields.Nested(ScoredValueSchema))
    service_code = fields.List(fields.Nested(ScoredValueSchema))
