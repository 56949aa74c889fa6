"""The scheduler jobs of this package (picked up by kommune_ikt.scheduler.JOB_PROVIDERS)."""

from __future__ import annotations

from typing import Any

from kommune_ikt.core.scheduler.jobs import Job, JobContext
from metrics.probes import run_due_probes

# Probes are due at most every 10 s (the shortest interval allowed).
PROBE_TICK_SECONDS = 10.0


def run_probes(ctx: JobContext) -> dict[str, Any]:
    """Run the HTTP probes that are due; open or end outages on their streaks."""
    # No transaction here: run_due_probes opens its own short ones around the checks.
    return run_due_probes(
        ctx.transaction, ctx.now(), allow_networks=ctx.settings.probe_allow_networks
    )


def scheduled_jobs() -> list[Job]:
    return [
        Job(
            id="metrics.run_probes",
            func=run_probes,
            seconds=PROBE_TICK_SECONDS,
            description="Run due HTTP(S) probes of services.",
        )
    ]
