"""The intake's scheduler job (picked up by kommune_ikt.scheduler.JOB_PROVIDERS)."""

from __future__ import annotations

import os
from typing import Any

from kommune_ikt.core.scheduler.jobs import Job, JobContext
from servicedesk.mail.job import run_intake

DEFAULT_POLL_SECONDS = 30.0


def mail_intake(ctx: JobContext) -> dict[str, Any]:
    """Turn the desk's waiting mail into tickets and comments (off without MAIL_IMAP_URL)."""
    return run_intake(ctx.database, ctx.settings, now=ctx.now)


def scheduled_jobs() -> list[Job]:
    # The interval is fixed when the scheduler starts, before it has its settings;
    # MAIL_POLL_SECONDS is the same variable Settings.mail_poll_seconds reads.
    seconds = float(os.environ.get("MAIL_POLL_SECONDS") or DEFAULT_POLL_SECONDS)
    return [Job("mail_intake", mail_intake, seconds, "Turn received mail into tickets")]
