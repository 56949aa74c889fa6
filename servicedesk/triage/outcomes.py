"""Counting whether the IT unit accepted or overrode a suggestion, for Prometheus.

When an IT role sets a ticket's queue, category or service and the current
model suggests something for that field, the new value is *accepted* when it
is the model's first suggestion and *overridden* otherwise
(``kommune_ikt_triage_suggestions_total{field,outcome}``), so operations can
watch the model's real precision. The suggestion is the one an agent sees on
the ticket (the current model's, computed from the ticket's text).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from kommune_ikt.core import events
from servicedesk.triage import store

ATTRIBUTES = {"queue": "queue_code", "category": "category", "service_code": "service_code"}


def count_outcomes(session: Session, ticket: Any, fields: Iterable[str]) -> None:
    fields = list(fields)
    try:
        suggested = store.suggest(session, ticket.title, ticket.description)
    except Exception:  # counting must never break the change itself
        return
    if suggested["model_version"] is None:
        return
    for name in fields:
        best = suggested.get(name) or []
        if not best:
            continue
        value = getattr(ticket, ATTRIBUTES[name])
        outcome = "accepted" if value == best[0]["value"] else "overridden"
        events.count("triage_suggestion", field=name, outcome=outcome)
