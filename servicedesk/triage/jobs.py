"""The nightly retraining (picked up by kommune_ikt.scheduler.JOB_PROVIDERS).

Checked every hour; trains only at night (01:00–04:59 Europe/Oslo) and only when
at least ``triage_retrain_min_new`` tickets were resolved since the current
model was trained (with no model yet: when that many resolved tickets exist,
and at least training.MIN_SAMPLES). A training already running elsewhere (409)
is skipped, not an error.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col

from kommune_ikt.core.auth.actor import SYSTEM
from kommune_ikt.core.errors import Conflict, ValidationFailed
from kommune_ikt.core.scheduler.jobs import Job, JobContext
from servicedesk.triage import training
from servicedesk.triage.models import TriageModelRow

OSLO = ZoneInfo("Europe/Oslo")
NIGHT = range(1, 5)


def retrain(ctx: JobContext) -> dict[str, Any]:
    """Retrain when enough new tickets were resolved since the current model (at night)."""
    now = ctx.now()
    if now.astimezone(OSLO).hour not in NIGHT:
        return {"skipped": "day"}
    with ctx.transaction() as session:
        since = session.scalar(
            sa.select(col(TriageModelRow.trained_at)).where(col(TriageModelRow.active).is_(True))
        )
        new = training.new_resolved_since(session, since)
    wanted = ctx.settings.triage_retrain_min_new
    if since is None:
        wanted = max(wanted, training.MIN_SAMPLES)
    if new < wanted:
        return {"new_resolved": new, "trained": 0}
    try:
        row = training.train(ctx.database, SYSTEM, ctx.settings, now=now)
    except (Conflict, ValidationFailed) as exc:
        return {"new_resolved": new, "trained": 0, "skipped": exc.detail}
    return {"new_resolved": new, "trained": 1, "version": row.version}


def scheduled_jobs() -> list[Job]:
    return [
        Job(
            id="triage.retrain",
            func=retrain,
            seconds=3600,
            description="Retrain the triage model at night when enough tickets were resolved.",
        )
    ]
