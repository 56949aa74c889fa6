"""Attachment schemas: the metadata (from the model), the upload form, the page."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import AutoSchema, page_schema
from servicedesk.attachments.models import Attachment


class AttachmentSchema(AutoSchema):
    """``{id, ticket_id, comment_id, filename, content_type, size, sha256, internal,
    uploaded_by, uploaded_at}``; ``internal`` follows the comment it belongs to."""

    class Meta(AutoSchema.Meta):
        model = Attachment
        dump_only = (
            "id",
            "ticket_id",
            "comment_id",
            "filename",
            "content_type",
            "size",
            "sha256",
            "internal",
            "uploaded_by",
            "uploaded_at",
        )


AttachmentPageSchema = page_schema(AttachmentSchema, "AttachmentPage")


class UploadFormSchema(ma.Schema):
    """The form fields beside the file."""

    comment_id = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Attach to this comment of the ticket (internal follows it)"},
    )


class UploadFileSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "The file (its name and type kept)"})
