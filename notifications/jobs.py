"""The outbox's scheduler job (named in kommune_ikt.scheduler.JOB_PROVIDERS)."""

from __future__ import annotations

from typing import Any

from kommune_ikt.core import events
from kommune_ikt.core.scheduler.jobs import Job, JobContext
from notifications.sender import send_due


def send_notifications(ctx: JobContext) -> dict[str, Any]:
    """Send the outbox over SMTP (left waiting when SMTP is not configured)."""
    counts = send_due(ctx.database, ctx.settings, now=ctx.now)
    events.count("notification_sent", int(counts.get("sent", 0)))
    events.count("notification_failed", int(counts.get("failed", 0)))
    return counts


def scheduled_jobs() -> list[Job]:
    return [Job("notifications_send", send_notifications, 30, "Send the notification outbox")]
