"""Attachments over HTTP: upload (multipart), list, metadata, download, removal."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.wrappers import Response as BaseResponse

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.web.edge import current_actor, db_session, problem_response, roles
from kommune_ikt.web.schemas import ListArgs
from servicedesk.attachments import naming, services
from servicedesk.attachments.schemas import (
    AttachmentPageSchema,
    AttachmentSchema,
    UploadFileSchema,
    UploadFormSchema,
)

EVERYONE = tuple(Role)
# Room in a multipart body for its boundaries, part headers and the comment_id field.
MULTIPART_OVERHEAD = 64 * 1024

blp = Blueprint(
    "attachments", __name__, description="Files on tickets and comments (uploads are scanned)"
)


def _settings() -> Any:
    return current_app.config["SETTINGS"]


@blp.before_request
def _upload_limit() -> Any:
    """Uploads are governed by ATTACHMENT_MAX_BYTES, not the app's 1 MiB JSON limit."""
    if request.method != "POST":
        return None
    limit = services.max_bytes(_settings())
    request.max_content_length = limit + MULTIPART_OVERHEAD
    if request.content_length is not None and request.content_length > limit + MULTIPART_OVERHEAD:
        # Said before a byte of the body is read.
        return problem_response(services.AttachmentTooLarge(limit).to_problem())
    return None


@blp.route("/tickets/<int:ticket_id>/attachments")
class TicketAttachments(MethodView):
    @roles(*EVERYONE)
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, AttachmentPageSchema)
    def get(self, args: dict[str, Any], ticket_id: int) -> Any:
        """A ticket's attachments, oldest first (internal ones only for the IT unit)."""
        page = services.list_attachments(db_session(), current_actor(), ticket_id, **args)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @roles(*EVERYONE)
    @blp.arguments(UploadFormSchema, location="form")
    @blp.arguments(UploadFileSchema, location="files")
    @blp.response(201, AttachmentSchema)
    @blp.alt_response(413, description="Larger than ATTACHMENT_MAX_BYTES")
    @blp.alt_response(422, description="Refused by the virus scanner, or invalid fields")
    @blp.alt_response(503, description="A virus scanner is configured but not answering")
    def post(self, form: dict[str, Any], files: dict[str, Any], ticket_id: int) -> Any:
        """Attach a file (``multipart/form-data``: ``file``, optional ``comment_id``):
        whoever may comment on the ticket."""
        session, actor, settings = db_session(), current_actor(), _settings()
        comment_id = form.get("comment_id")
        upload = files["file"]
        # Refuse what would be refused anyway before scanning and writing the bytes;
        # then end the transaction, so none stays open across the scanner's I/O.
        services.check_may_attach(session, actor, ticket_id, comment_id)
        session.commit()
        prepared = services.prepare_upload(
            filename=upload.filename,
            content_type=upload.mimetype or None,
            data=upload.stream.read(services.max_bytes(settings) + 1),
            settings=settings,
        )
        attachment = services.add_attachment(
            session, actor, ticket_id, upload=prepared, comment_id=comment_id, settings=settings
        )
        return attachment, 201, {"Location": f"/api/v1/attachments/{attachment.id}"}


@blp.route("/attachments/<int:attachment_id>")
class AttachmentItem(MethodView):
    @roles(*EVERYONE)
    @blp.response(200, AttachmentSchema)
    def get(self, attachment_id: int) -> Any:
        """An attachment's metadata."""
        return services.get_attachment(db_session(), current_actor(), attachment_id)

    @roles(Role.AGENT)
    @blp.response(204)
    def delete(self, attachment_id: int) -> None:
        """Remove an attachment (agent, admin); the bytes go later, once nothing names them."""
        services.delete_attachment(db_session(), current_actor(), attachment_id)


@blp.route("/attachments/<int:attachment_id>/content")
class AttachmentContent(MethodView):
    @roles(*EVERYONE)
    @blp.doc(
        responses={
            "200": {
                "description": "The bytes, as a download: served with the stored type when "
                "it is a harmless one, else as application/octet-stream",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    def get(self, attachment_id: int) -> Any:
        """The attachment's bytes (``Content-Disposition: attachment``, ``nosniff``)."""
        attachment, stream = services.open_attachment(
            db_session(), current_actor(), attachment_id, settings=_settings()
        )
        return content_response(attachment, stream)


def content_response(attachment: Any, stream: Any) -> Any:
    """The bytes as a download with every safety header (the API's and the pages' routes)."""
    response: BaseResponse = send_file(
        stream,
        mimetype=naming.served_content_type(attachment.content_type),
        etag=attachment.sha256,
        last_modified=attachment.uploaded_at,
        max_age=None,
        conditional=False,
    )
    # The size is known from the row (a stream does not tell send_file): with it the
    # response has a Content-Length and answers If-None-Match and Range requests.
    response.content_length = attachment.size
    response = response.make_conditional(
        request.environ, accept_ranges=True, complete_length=attachment.size
    )
    response.headers["Content-Disposition"] = naming.content_disposition(attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def blueprints() -> list[Blueprint]:
    return [blp]
