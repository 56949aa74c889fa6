"""Files on the ticket pages: the upload field's limits, storing uploads through the same
service functions as the API's attachment endpoints, and the list a ticket's page shows.

The routes stay in portal.views (the ticket pages); this module has no view of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from babel.numbers import format_decimal
from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from kommune_ikt.core.auth.actor import Actor
from kommune_ikt.core.errors import DomainError
from servicedesk.attachments import naming, services
from servicedesk.attachments.scanning import Infected, ScannerUnavailable

# Files one form may carry; each may be as large as ATTACHMENT_MAX_BYTES.
MAX_FILES = 10
# Room in a multipart body for the other fields, boundaries and part headers.
FORM_OVERHEAD = 256 * 1024


class FileRefused(DomainError):
    """An upload the page refuses, its message already in the user's language."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message, errors={"file": [message]})
        self.status = status


def _settings() -> Any:
    return current_app.config["SETTINGS"]


def max_bytes() -> int:
    return services.max_bytes(_settings())


def scanning() -> bool:
    """Whether uploads go through the virus scanner (CLAMD_ADDRESS is set)."""
    return bool(getattr(_settings(), "clamd_address", None))


def filesize(size: int | None) -> str:
    """``340 byte``, ``12 kB``, ``1,5 MB`` in the user's language (units of 1024)."""
    if size is None:
        return ""
    if size < 1024:
        return _("%(n)s byte", n=size)
    value, unit = size / 1024, "kB"
    for larger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{format_decimal(round(value, 1), locale=str(get_locale() or 'nb'))} {unit}"


def hint() -> str:
    return _(
        "Valgfritt. Du kan velge flere filer (høyst %(count)s), hver på høyst %(size)s.",
        count=MAX_FILES,
        size=filesize(max_bytes()),
    )


def form_with_files(form_class: type) -> tuple[Any, bool]:
    """``(form, parsed)``: the posted form read with room for its files, or, when the body
    is too large to read at all, an empty form whose file field says so (parsed False)."""
    if request.method == "POST":
        request.max_content_length = MAX_FILES * max_bytes() + FORM_OVERHEAD
        try:
            request.files  # noqa: B018  (parses the body now, where its size is checked)
        except RequestEntityTooLarge:
            # Nothing of the body is read: every later form on this page (the sign-out
            # button's too) sees an empty one instead of raising again.
            request.__dict__["form"] = ImmutableMultiDict()
            request.__dict__["files"] = ImmutableMultiDict()
            form = form_class(formdata=None)
            form.file.errors = [_too_large(None)]
            form.file.description = hint()
            return form, False
    form = form_class()
    form.file.description = hint()
    if request.method == "POST" and chosen(form.file.data):
        # A browser never sends a file input's choice again: say so next to the field.
        again = _("Velg filene på nytt hvis skjemaet må sendes igjen.")
        form.file.description = f"{hint()} {again}"
    return form, True


def chosen(files: Iterable[Any] | None) -> list[FileStorage]:
    """The files actually chosen (an empty file input still sends one nameless part)."""
    return [f for f in files or [] if isinstance(f, FileStorage) and f.filename]


def _too_large(name: str | None) -> str:
    if name:
        return _(
            "%(name)s er for stor. Hver fil kan være høyst %(size)s.",
            name=name,
            size=filesize(max_bytes()),
        )
    return _(
        "Filene er for store. Hver fil kan være høyst %(size)s, og du kan sende høyst "
        "%(count)s om gangen.",
        size=filesize(max_bytes()),
        count=MAX_FILES,
    )


def prepare(files: Iterable[Any] | None) -> list[services.Upload]:
    """Check, scan and store the bytes of the chosen files (phase 1 of an upload, no
    database); ``FileRefused`` in the user's language when one is refused."""
    picked = chosen(files)
    if len(picked) > MAX_FILES:
        raise FileRefused(_("Du kan sende høyst %(count)s filer om gangen.", count=MAX_FILES))
    limit = max_bytes()
    uploads = []
    for upload in picked:
        data = upload.stream.read(limit + 1)
        try:
            uploads.append(
                services.prepare_upload(
                    filename=upload.filename,
                    content_type=upload.mimetype or None,
                    data=data,
                    settings=_settings(),
                )
            )
        except services.AttachmentTooLarge:
            raise FileRefused(_too_large(naming.sanitise_filename(upload.filename)), 413)
        except Infected as exc:
            raise FileRefused(
                _(
                    "%(name)s ble stoppet av viruskontrollen (%(signature)s) og er ikke lagret.",
                    name=naming.sanitise_filename(upload.filename),
                    signature=exc.signature,
                )
            )
        except ScannerUnavailable:
            raise FileRefused(
                _(
                    "Viruskontrollen svarer ikke akkurat nå, så vi kan ikke ta imot filer. "
                    "Prøv igjen om litt, eller send uten vedlegg."
                ),
                503,
            )
        except DomainError as exc:
            # Any other rule of the service about files, in the user's language.
            problem = exc.to_problem(_)
            messages = (problem.get("errors") or {}).get("file") or [problem["detail"]]
            raise FileRefused(" ".join(messages), exc.status)
    return uploads


def attach(
    session: Session,
    actor: Actor,
    ticket_id: int,
    uploads: Iterable[services.Upload],
    comment_id: int | None = None,
) -> None:
    """Phase 2: the attachment rows, in the request's transaction."""
    for upload in uploads:
        services.add_attachment(
            session, actor, ticket_id, upload=upload, comment_id=comment_id, settings=_settings()
        )


def for_ticket(session: Session, actor: Actor, ticket_id: int) -> tuple[list[Any], dict]:
    """The ticket's attachments the actor may see, and those of each comment by its id."""
    items = services.list_attachments(session, actor, ticket_id, limit=200).items
    by_comment: dict[int, list[Any]] = defaultdict(list)
    for item in items:
        if item.comment_id is not None:
            by_comment[item.comment_id].append(item)
    return items, dict(by_comment)
