"""The process-local Prometheus instruments (HTTP requests, domain events, collector health).

They are made on first use, not at import: prometheus-client picks multiprocess
storage from ``PROMETHEUS_MULTIPROC_DIR``, which gunicorn's ``on_starting`` sets
before any worker imports the app. The instruments belong to no registry; the
exposition adds them to the right one (a plain registry in a single process,
the multiprocess files under gunicorn).

Made once per process, under a lock: a gthread worker's first requests arrive on
several threads at once, and two sets of instruments would each keep their own
count of the same series and overwrite each other's value in the worker's file
(``functools.cache`` does not stop two threads computing at once; the fault test
of a killed worker found requests answered but never counted).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from prometheus_client import Counter, Histogram

# Seconds: from a cached read to a slow report.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Instruments:
    http_requests: Counter
    http_duration: Histogram
    events: Counter
    collector_errors: Counter
    triage_suggestions: Counter


_LOCK = threading.Lock()
_made: Instruments | None = None


def instruments() -> Instruments:
    """The one set of instruments of this process (made by the first caller)."""
    global _made
    made = _made
    if made is None:
        with _LOCK:
            if _made is None:
                _made = _make()
            made = _made
    return made


def _make() -> Instruments:
    return Instruments(
        http_requests=Counter(
            "kommune_ikt_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=None,
        ),
        http_duration=Histogram(
            "kommune_ikt_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=None,
        ),
        events=Counter(
            "kommune_ikt_events",
            "Domain events counted by metrics.events.record().",
            ["event"],
            registry=None,
        ),
        collector_errors=Counter(
            "kommune_ikt_metrics_collector_errors",
            "Scrapes whose database readings failed.",
            registry=None,
        ),
        triage_suggestions=Counter(
            "kommune_ikt_triage_suggestions",
            "Triage suggestions an IT role accepted or overrode, by field.",
            ["field", "outcome"],
            registry=None,
        ),
    )
