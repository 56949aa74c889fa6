"""API schemas of the mail quarantine, derived from the model."""

from __future__ import annotations

from marshmallow import Schema, validate

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import AutoSchema, ListArgs, page_schema
from servicedesk.mail.models import MailMessage
from servicedesk.mail.services import STATES


class QuarantinedMailSchema(AutoSchema):
    """A received mail waiting for (or after) an agent's decision; the bytes are not shown."""

    class Meta(AutoSchema.Meta):
        model = MailMessage
        exclude = ("raw",)

    kept = fields.Boolean(dump_only=True, metadata={"description": "Whether its bytes are kept."})
    preview = fields.String(dump_only=True, metadata={"description": "The start of its text."})


QuarantinePageSchema = page_schema(QuarantinedMailSchema, "QuarantinePage")


class QuarantineListArgs(ListArgs):
    outcome = fields.String(load_default="quarantined", validate=validate.OneOf(STATES))


class AcceptSchema(Schema):
    municipality = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{4}$", error="A 4-digit municipality number."),
    )
