"""The SLA sweep's scheduler job (named in kommune_ikt.scheduler.JOB_PROVIDERS)."""

from __future__ import annotations

from typing import Any

from kommune_ikt.core import events
from kommune_ikt.core.scheduler.jobs import Job, JobContext
from servicedesk.sla.escalation import sweep


def sla_sweep(ctx: JobContext) -> dict[str, Any]:
    """Record SLA warnings and breaches that have fallen due, with history and mail."""
    with ctx.transaction() as session:
        counts = sweep(session, ctx.now())
    escalations = sum(v for k, v in counts.items() if k.endswith(("_warning", "_breach")))
    events.count("sla_escalation", escalations)
    return counts


def scheduled_jobs() -> list[Job]:
    return [Job("sla_sweep", sla_sweep, 60, "SLA warnings (75 %) and breaches (100 %)")]
