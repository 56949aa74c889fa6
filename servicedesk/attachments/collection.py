"""Garbage collection of attachment bytes no row refers to any more (the collector job)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kommune_ikt.core.db import table_of
from servicedesk.attachments.models import Attachment, AttachmentBlob
from servicedesk.attachments.storage import BlobStore, LocalBlobStore

_BLOBS = table_of(AttachmentBlob)
_ATTACHMENTS = table_of(Attachment)


def collect_unreferenced(session: Session, store: BlobStore, *, batch: int = 500) -> list[str]:
    """Delete up to ``batch`` blobs no attachment names; returns their hashes.

    The rows are locked first (SKIP LOCKED: an upload claiming one now keeps it),
    then deleted by a statement that checks again, with its own snapshot, that
    nothing names them; an upload that claims one later waits for this
    transaction and writes the bytes again if they are gone. Local files are
    removed before the commit, so a committed deletion never leaves a file for
    a row that is no longer there, and a failed commit leaves only rows
    without files that nothing names (collected next time).
    """
    unreferenced = ~sa.exists().where(_ATTACHMENTS.c.sha256 == _BLOBS.c.sha256)
    pick = sa.select(_BLOBS.c.sha256).where(unreferenced).order_by(_BLOBS.c.sha256).limit(batch)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    candidates = list(session.scalars(pick))
    if not candidates:
        return []
    deleted = list(
        session.scalars(
            sa.delete(_BLOBS)
            .where(_BLOBS.c.sha256.in_(candidates), unreferenced)
            .returning(_BLOBS.c.sha256)
        )
    )
    if not store.transactional:
        for sha256 in deleted:
            store.delete(sha256)
    return deleted


def orphan_files(session: Session, store: LocalBlobStore, older_than: float) -> list[str]:
    """Files of the local store with no blob row, last touched ``older_than`` seconds ago
    (left by an upload whose transaction failed after phase 1)."""
    found: list[str] = []
    candidates = list(store.stored(older_than))
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        known = set(session.scalars(sa.select(_BLOBS.c.sha256).where(_BLOBS.c.sha256.in_(chunk))))
        found += [sha256 for sha256 in chunk if sha256 not in known]
    return found
