"""The attachment collector job (picked up by kommune_ikt.scheduler.JOB_PROVIDERS)."""

from __future__ import annotations

from typing import Any

from kommune_ikt.core.scheduler.jobs import Job, JobContext
from servicedesk.attachments.collection import collect_unreferenced, orphan_files
from servicedesk.attachments.storage import LocalBlobStore, blob_store

COLLECT_SECONDS = 3600.0
# A local file with no row is removed only when untouched this long: an upload
# writes (or touches) its file before its transaction inserts the row.
ORPHAN_GRACE_SECONDS = 3600.0
# Blobs removed per transaction (a batch's files are unlinked before its commit).
BATCH = 500


def collect_blobs(ctx: JobContext) -> dict[str, Any]:
    """Remove the bytes no attachment names any more, and what failed uploads left behind."""
    removed = 0
    while True:
        with ctx.transaction() as session:
            batch = collect_unreferenced(session, blob_store(ctx.settings, session), batch=BATCH)
        removed += len(batch)
        if len(batch) < BATCH:
            break
    counts: dict[str, Any] = {"blobs_removed": removed}
    store = blob_store(ctx.settings) if _local(ctx) else None
    if isinstance(store, LocalBlobStore):
        with ctx.transaction() as session:
            orphans = orphan_files(session, store, ORPHAN_GRACE_SECONDS)
        # Looked at again just before: an upload may have touched one since.
        removed_orphans = sum(store.delete_if_untouched(s, ORPHAN_GRACE_SECONDS) for s in orphans)
        counts["orphan_files_removed"] = removed_orphans
        counts["temporaries_removed"] = store.remove_stale_temporaries()
    return counts


def _local(ctx: JobContext) -> bool:
    return (ctx.settings.attachment_store or "local").lower() == "local"


def scheduled_jobs() -> list[Job]:
    return [
        Job(
            id="attachments.collect_blobs",
            func=collect_blobs,
            seconds=COLLECT_SECONDS,
            description="Remove attachment bytes no attachment names any more.",
        )
    ]
