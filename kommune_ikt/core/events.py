"""Counting an event for Prometheus without knowing who counts it.

Code in the kernel and the domains calls ``count("notification_sent")``; the
metrics package listens (``metrics.events``) and keeps the in-process counters
that ``/metrics`` exposes. Nothing below metrics imports it, and a process that
never loads metrics (a test of one domain) simply counts nothing.
"""

from __future__ import annotations

from blinker import signal

counted = signal("kommune-ikt.event-counted")


def count(event: str, amount: float = 1.0, **labels: str) -> None:
    """Count ``amount`` occurrences of ``event``; labels narrow it (e.g. ``field``)."""
    if amount > 0:
        counted.send(event, amount=amount, labels=labels)
