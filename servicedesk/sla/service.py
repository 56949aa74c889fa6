"""SLA state of tickets: targets set on creation and change, and the views for responses.

The ticket services call exactly two functions from here:

- ``apply_sla(session, ticket, now)`` after a ticket is created and after each change of
  status, priority, impact or urgency (after the history rows are added and flushed);
- ``sla_views(session, tickets, now)`` to render the ``sla`` object of each ticket in a
  response, in one batch (no N+1).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


def apply_sla(session: Session, ticket: Any, now: datetime) -> None:
    """(Re)compute and store the ticket's SLA targets; call after every relevant change."""
    # First version: nothing stored yet; the real derivation follows.
    return None


def empty_view() -> dict[str, Any]:
    return {
        "response_due": None,
        "resolution_due": None,
        "responded_at": None,
        "resolved_at": None,
        "response_breached": False,
        "resolution_breached": False,
        "paused": False,
    }


def sla_views(session: Session, tickets: Sequence[Any], now: datetime) -> dict[int, dict[str, Any]]:
    """``{ticket.id: {response_due, resolution_due, responded_at, resolved_at,
    response_breached, resolution_breached, paused}}`` exact at ``now``, for many tickets."""
    return {ticket.id: empty_view() for ticket in tickets}
