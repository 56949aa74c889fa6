"""The scrape-time collector: reads the database (a few queries) and keeps the result briefly.

A failure to read never fails the scrape: the collector then reports
``kommune_ikt_metrics_collector_up 0`` (the alert ``KommuneIktMetricsCollectorFailing``
watches it) and the HTTP and build metrics still go out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kommune_ikt.core.db import Database
from kommune_ikt.core.types import utcnow
from metrics.families import families_from
from metrics.instruments import instruments
from metrics.readings import read_snapshot

log = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    """Domain figures read at scrape time, cached for ``cache_seconds`` per process."""

    def __init__(
        self,
        database: Callable[[], Database],
        *,
        cache_seconds: float = 10.0,
        timezone: str = "Europe/Oslo",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._database = database
        self.cache_seconds = cache_seconds
        self.timezone = timezone
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: list[Metric] | None = None
        self._cached_at = 0.0
        self._ok = True
        self._duration = 0.0
        self._text = b""
        self._text_at = -1.0

    def describe(self) -> list[Metric]:
        # Registering must not query the database; names are not checked for clashes.
        return []

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None
            self._text_at = -1.0

    def readings_at(self) -> float:
        """When the cached readings were taken (monotonic clock)."""
        with self._lock:
            return self._cached_at

    def text(self) -> bytes:
        """The collected families in the text format, rendered once per refresh."""
        with self._lock:
            if self._fresh():
                return self._text
        families = list(self.collect())
        with self._lock:
            at = self._cached_at
        text = generate_latest(_Families(families))
        with self._lock:
            self._text, self._text_at = text, at
        return text

    def _fresh(self) -> bool:
        return (
            self._cached is not None
            and self._text_at == self._cached_at
            and time.monotonic() - self._cached_at <= self.cache_seconds
        )

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if self._cached is None or time.monotonic() - self._cached_at > self.cache_seconds:
                self._refresh()
            families = list(self._cached or [])
            ok, duration = self._ok, self._duration
        yield from families
        up = GaugeMetricFamily(
            "kommune_ikt_metrics_collector_up",
            "1 when the last database reading for /metrics succeeded, else 0.",
        )
        up.add_metric([], 1 if ok else 0)
        yield up
        took = GaugeMetricFamily(
            "kommune_ikt_metrics_collector_duration_seconds",
            "Time the last database reading for /metrics took.",
        )
        took.add_metric([], duration)
        yield took

    def _refresh(self) -> None:
        started = time.perf_counter()
        try:
            database = self._database()
            with database.session() as session:
                snapshot = read_snapshot(session, self._clock(), self.timezone)
                session.rollback()
            self._cached = list(families_from(snapshot))
            self._ok = True
        except Exception:
            # Anything at all: a broken reading must not take the whole scrape down.
            log.exception("metrics collector failed to read the database")
            instruments().collector_errors.inc()
            self._cached = []
            self._ok = False
        self._cached_at = time.monotonic()
        self._duration = time.perf_counter() - started


class _Families(Collector):
    """Already collected families, for rendering them once."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)
