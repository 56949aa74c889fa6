"""The counters behind ``kommune_ikt.core.events.count`` (domain code never imports this).

Most figures are read from the database at scrape time (metrics.collector);
this is for things the database does not keep, such as a probe run or a
notification that could not be sent. Event names are a closed set so that a
typo cannot grow the series count.
"""

from __future__ import annotations

import logging
from typing import Any

from kommune_ikt.core.events import counted
from metrics.instruments import instruments

log = logging.getLogger(__name__)

EVENTS = frozenset(
    {
        "probe_run",
        "probe_failed",
        "outage_opened_by_probe",
        "outage_ended_by_probe",
        "notification_sent",
        "notification_failed",
        "sla_escalation",
        "scheduler_job_failed",
    }
)


def record(event: str, amount: float = 1.0) -> None:
    """Count ``amount`` occurrences of ``event`` (one of ``EVENTS``) in this process."""
    if event not in EVENTS:
        # Never let metrics bookkeeping break a domain operation.
        log.warning("unknown metrics event %r ignored", event)
        return
    instruments().events.labels(event=event).inc(amount)


SUGGESTION_FIELDS = frozenset({"queue", "category", "service_code"})
SUGGESTION_OUTCOMES = frozenset({"accepted", "overridden"})


def record_suggestion(field: str, outcome: str) -> None:
    """Count an IT role accepting or overriding the triage model's first suggestion."""
    if field not in SUGGESTION_FIELDS or outcome not in SUGGESTION_OUTCOMES:
        log.warning("unknown triage suggestion count %r/%r ignored", field, outcome)
        return
    instruments().triage_suggestions.labels(field=field, outcome=outcome).inc()


def _on_counted(event: str, *, amount: float, labels: dict[str, str], **_: Any) -> None:
    if event == "triage_suggestion":
        record_suggestion(labels.get("field", ""), labels.get("outcome", ""))
    else:
        record(event, amount)


# Strong reference: the receiver lives as long as the process, not as long as a caller.
counted.connect(_on_counted, weak=False)
