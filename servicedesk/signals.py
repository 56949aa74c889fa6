"""Signals other parts send to the servicedesk when something happened that needs a ticket.

metrics sits above the servicedesk (it reads tickets), so the signals it
sends are declared here, beside the receivers that handle them
(servicedesk/incidents.py), and metrics only sends them: it never calls the
desk's use cases. (The catalogue sits below the desk, so its order signals
are declared in service_catalog/signals.py instead.)

Every signal is sent inside the sender's transaction, with ``session`` (add
and flush, never commit: a receiver that raises undoes the sender's change
too) and ``actor`` (who made the change) as keyword arguments besides its own.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

outage_started = _signals.signal(
    "outage-started",
    doc="""An unplanned outage was recorded without an incident ticket. Sender: the
    outage's service code; keywords ``service_name``, ``started_at``,
    ``municipalities`` (None: all), ``description``, ``requester_id`` (in whose
    name the incident is filed) and ``now``. The servicedesk files the P1
    incident and returns its ticket id.""",
)

outage_ended = _signals.signal(
    "outage-ended",
    doc="""An outage with an incident ticket ended. Sender: the ticket id; keywords
    ``resolution`` and ``now``. The servicedesk resolves the incident unless
    someone already moved it on.""",
)

__all__ = ["outage_ended", "outage_started"]
