"""Attachment use cases: check, scan, store durably, record; list and read with visibility.

An upload has two phases, so that no database transaction stays open across
the virus scanner's network I/O:

1. ``prepare_upload`` (no database): size limit, filename and type
   sanitising, the virus scan, and with the local store the durable write of
   the bytes. Infected (422), scanner down (503), too large (413): nothing is
   stored.
2. ``add_attachment`` (in the caller's short write transaction): the ticket is
   read as the actor may see it and locked, the blob's row is claimed (an
   upsert that locks it against the garbage collector), the bytes are
   confirmed present (written there with the database store), the row is
   inserted. A row therefore never commits before its bytes are durable.

``add_attachment`` also takes the raw ``filename``/``content_type``/``data``
and runs phase 1 itself, for callers with no transaction open yet. A caller
that holds a transaction (mail intake filing a ticket and its files together)
calls ``prepare_upload`` for every file first, then ``add_attachment(...,
upload=...)`` inside its transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.db import table_of
from kommune_ikt.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import Page, paginate
from kommune_ikt.core.types import utcnow
from servicedesk import history
from servicedesk.attachments.models import Attachment, AttachmentBlob
from servicedesk.attachments.naming import sanitise_content_type, sanitise_filename
from servicedesk.attachments.scanning import Scanner, scanner_for
from servicedesk.attachments.storage import BlobMissing, BlobStore, blob_store
from servicedesk.choices import FINAL_STATUSES
from servicedesk.models import Ticket, TicketComment
from servicedesk.queries import get_ticket, visible_tickets

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
HISTORY_ATTACHMENT = "attachment"
HISTORY_ATTACHMENT_REMOVED = "attachment_removed"
# Sentinel: "use the scanner the settings configure".
FROM_SETTINGS: Any = object()


class AttachmentTooLarge(DomainError):
    status = 413
    title = N_("Payload too large")

    def __init__(self, limit: int) -> None:
        message = N_("An attachment may be at most %(limit)s bytes.")
        super().__init__(
            message, errors={"file": [message]}, params={"limit": limit}, max_bytes=limit
        )


@dataclass(frozen=True)
class Upload:
    """A file that passed the checks and the scanner, ready for ``add_attachment``."""

    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes = field(repr=False)


# --- phase 1: no database -------------------------------------------------------------


def max_bytes(settings: Any) -> int:
    return int(getattr(settings, "attachment_max_bytes", DEFAULT_MAX_BYTES) or DEFAULT_MAX_BYTES)


def prepare_upload(
    *,
    filename: str | None,
    content_type: str | None,
    data: bytes,
    settings: Any,
    scanner: Scanner | None = FROM_SETTINGS,
    store: BlobStore | None = None,
) -> Upload:
    """Check, scan and (local store) durably write one file; touches no database.

    Raises ``AttachmentTooLarge`` (413), ``scanning.Infected`` (422) or
    ``scanning.ScannerUnavailable`` (503); in each case nothing is stored.
    """
    limit = max_bytes(settings)
    if len(data) > limit:
        raise AttachmentTooLarge(limit)
    name = sanitise_filename(filename)
    media_type = sanitise_content_type(content_type, name)
    if scanner is FROM_SETTINGS:
        scanner = scanner_for(settings)
    if scanner is not None:
        scanner.scan(data)
    sha256 = hashlib.sha256(data).hexdigest()
    if store is None and _store_kind(settings) == "local":
        store = blob_store(settings)
    if store is not None and not store.transactional:
        stored = store.put(data)
        assert stored == sha256
    return Upload(name, media_type, len(data), sha256, data)


def _store_kind(settings: Any) -> str:
    return (getattr(settings, "attachment_store", "local") or "local").lower()


# --- phase 2: the write transaction -------------------------------------------------


def check_may_attach(
    session: Session, actor: Actor, ticket_id: int, comment_id: int | None = None
) -> None:
    """What ``add_attachment`` will check, asked before the upload is scanned and
    written (404 for a ticket the actor may not see, 409 for a closed one, 422
    for a comment that is not the ticket's), so a refused upload costs nothing."""
    ticket = get_ticket(session, actor, ticket_id)
    _check_open(ticket)
    _target_comment(session, actor, ticket, comment_id)


def add_attachment(
    session: Session,
    actor: Actor,
    ticket_id: int,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    data: bytes | None = None,
    upload: Upload | None = None,
    comment_id: int | None = None,
    settings: Any,
    store: BlobStore | None = None,
    scanner: Scanner | None = FROM_SETTINGS,
    now: datetime | None = None,
) -> Attachment:
    """Attach a file to a ticket (or one of its comments) the actor may comment on.

    Pass ``upload`` from ``prepare_upload``, or ``data`` (with ``filename`` and
    ``content_type``) to have it prepared here. Flushes, never commits.
    """
    if upload is None:
        if data is None:
            raise TypeError("add_attachment needs data or an upload")
        upload = prepare_upload(
            filename=filename,
            content_type=content_type,
            data=data,
            settings=settings,
            scanner=scanner,
            store=store if store is not None and not store.transactional else None,
        )
    now = now or utcnow()
    ticket = get_ticket(session, actor, ticket_id, for_update=True)
    _check_open(ticket)
    comment = _target_comment(session, actor, ticket, comment_id)
    store = store or blob_store(settings, session)
    _claim_blob(session, upload.sha256, upload.size, now)
    if not store.exists(upload.sha256):
        # The database store writes here, in this transaction; the local store
        # only when the collector removed the file between phase 1 and the claim.
        store.put(upload.data)
    assert ticket.id is not None
    attachment = Attachment(
        ticket_id=ticket.id,
        comment_id=comment.id if comment is not None else None,
        filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        internal=comment.internal if comment is not None else False,
        uploaded_by=actor.user_id,
        uploaded_at=now,
    )
    session.add(attachment)
    session.flush()
    history.record(
        session,
        ticket.id,
        actor,
        now,
        HISTORY_ATTACHMENT,
        None,
        {"id": attachment.id, "filename": attachment.filename},
        internal=attachment.internal,
    )
    return attachment


def _check_open(ticket: Ticket) -> None:
    if ticket.status in FINAL_STATUSES:
        raise Conflict(
            N_("A %(status)s ticket takes no more attachments."),
            params={"status": str(ticket.status)},
        )


def _target_comment(
    session: Session, actor: Actor, ticket: Ticket, comment_id: int | None
) -> TicketComment | None:
    if comment_id is None:
        return None
    comment = session.get(TicketComment, comment_id)
    if (
        comment is None
        or comment.ticket_id != ticket.id
        or (comment.internal and actor.is_municipal)
    ):
        raise ValidationFailed("comment_id", N_("No such comment on this ticket."))
    return comment


_BLOBS = table_of(AttachmentBlob)
_ATTACHMENTS = table_of(Attachment)


def _claim_blob(session: Session, sha256: str, size: int, now: datetime) -> None:
    """The blob's row, inserted or updated: either way locked until the transaction
    ends, so the collector (which locks before it deletes) cannot take it meanwhile."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(_BLOBS)
    stmt = insert.values(sha256=sha256, size=size, created_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_BLOBS.c.sha256], set_={"size": stmt.excluded.size}
    )
    session.execute(stmt)


# --- reading ----------------------------------------------------------------------


def _visible(stmt: Any, actor: Actor) -> Any:
    """Attachments of tickets the actor sees; internal ones only for the IT unit."""
    stmt = visible_tickets(stmt.join(Ticket, Ticket.id == Attachment.ticket_id), actor)
    if actor.is_municipal:
        stmt = stmt.where(col(Attachment.internal).is_(False))
    return stmt


def list_attachments(
    session: Session,
    actor: Actor,
    ticket_id: int,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[SimpleNamespace]:
    """A ticket's attachments, oldest first (metadata only: one query after the ticket's).

    The items are the rows' values as plain attributes, not ORM instances: the
    response schema reads ten attributes of each, and going through the ORM's
    attribute machinery for 40 attachments cost a third of the request.
    """
    ticket = get_ticket(session, actor, ticket_id)
    table = _ATTACHMENTS
    stmt = sa.select(*table.c).where(table.c.ticket_id == ticket.id)
    if actor.is_municipal:
        stmt = stmt.where(table.c.internal.is_(False))
    session.flush()  # Core does not autoflush
    page = paginate(
        session,
        stmt,
        [table.c.id],
        limit=limit,
        cursor=cursor,
        kinds=[int],
        scalars=False,
        descending=False,
    )
    return Page([SimpleNamespace(**row._mapping) for row in page.items], page.next_cursor)


def get_attachment(
    session: Session, actor: Actor, attachment_id: int, *, for_update: bool = False
) -> Attachment:
    """The attachment, or 404 when it does not exist or the actor may not see it
    (another municipality's ticket, a colleague's ticket for a requester, internal)."""
    stmt = _visible(sa.select(Attachment).where(col(Attachment.id) == attachment_id), actor)
    if for_update:
        stmt = stmt.with_for_update(of=Attachment)
    attachment = session.scalar(stmt)
    if attachment is None:
        raise NotFound(N_("Attachment not found."))
    return attachment


def open_attachment(
    session: Session,
    actor: Actor,
    attachment_id: int,
    *,
    settings: Any,
    store: BlobStore | None = None,
) -> tuple[Attachment, BinaryIO]:
    """The attachment and its bytes, opened for reading (the caller closes them)."""
    attachment = get_attachment(session, actor, attachment_id)
    store = store or blob_store(settings, session)
    try:
        return attachment, store.open(attachment.sha256)
    except BlobMissing as exc:
        raise RuntimeError(
            f"attachment {attachment.id}: its bytes ({attachment.sha256}) are not in the store"
        ) from exc


def delete_attachment(
    session: Session, actor: Actor, attachment_id: int, *, now: datetime | None = None
) -> None:
    """Remove an attachment (the IT unit: agents and admins). Its bytes go later, with
    the collector job, once no other attachment names the same content."""
    actor.require(Role.AGENT)
    attachment = get_attachment(session, actor, attachment_id, for_update=True)
    now = now or utcnow()
    history.record(
        session,
        attachment.ticket_id,
        actor,
        now,
        HISTORY_ATTACHMENT_REMOVED,
        {"id": attachment.id, "filename": attachment.filename},
        None,
        internal=attachment.internal,
    )
    session.delete(attachment)
    session.flush()
