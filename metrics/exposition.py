"""GET /metrics and the HTTP request instrumentation, registered by ``init_app(app)``.

Under gunicorn (``PROMETHEUS_MULTIPROC_DIR`` set) every worker writes its
counters to files in that directory and a scrape, answered by any worker,
sums them all; in a single process (Flask's test client, ``flask run``) a plain
registry holds the same instruments. Either way the database collector and the
build info are added at scrape time by the worker that answers.
"""

from __future__ import annotations

import hmac
import os
import platform
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CollectorRegistry,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from kommune_ikt import __version__
from kommune_ikt.core.errors import problem
from kommune_ikt.web.edge import problem_response
from metrics.collector import DatabaseCollector
from metrics.instruments import instruments

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class BuildInfoCollector(Collector):
    """``kommune_ikt_build_info{version, python}`` = 1."""

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "kommune_ikt_build_info",
            "Version of the running Kommune-IKT (always 1).",
            labels=["version", "python"],
        )
        family.add_metric([__version__, platform.python_version()], 1)
        yield family


class TriageModelCollector(Collector):
    """``kommune_ikt_triage_model_loaded`` = 1 when the current triage model is loaded in
    the answering process, 0 when there is none or it failed to load (rules only)."""

    def __init__(self, database: Any, readings_at: Callable[[], float]) -> None:
        self._database = database
        self._readings_at = readings_at
        self._state = ("unknown", -1.0)

    def _current_state(self) -> str:
        """Looked up again only when the database readings were (so at most once per
        ``METRICS_CACHE_SECONDS``, and a cached scrape sends no statement at all)."""
        from servicedesk.triage import store

        state, at = self._state
        readings_at = self._readings_at()
        if at == readings_at:
            return state
        try:
            with self._database().session() as session:
                state = store.current(session).state
        except Exception:  # never fail a scrape; the database collector reports the outage
            state = store.status()["state"]
        self._state = (state, readings_at)
        return state

    def collect(self) -> Iterator[Metric]:
        state = self._current_state()
        family = GaugeMetricFamily(
            "kommune_ikt_triage_model_loaded",
            "1 when the current triage model is loaded; 0 without one or when it failed to load.",
            labels=["state"],
        )
        family.add_metric([state], 1.0 if state == "loaded" else 0.0)
        yield family


class Exposition:
    """What one app exposes: the process instruments plus the scrape-time collectors."""

    def __init__(self, app: Flask) -> None:
        settings = app.config["SETTINGS"]
        self.token = settings.metrics_token or None
        self.multiprocess_dir = os.environ.get(MULTIPROC_ENV) or None
        self.database_collector = DatabaseCollector(
            lambda: app.extensions["kommune_ikt.db"],
            cache_seconds=settings.metrics_cache_seconds,
        )
        # The database figures are appended as text the collector keeps rendered
        # (a warm scrape then formats only the request counters).
        self.extra: list[Collector] = [
            BuildInfoCollector(),
            TriageModelCollector(
                lambda: app.extensions["kommune_ikt.db"], self.database_collector.readings_at
            ),
        ]
        if self.multiprocess_dir is None:
            # One registry for the life of the app: the instruments' values live in it.
            self.registry: CollectorRegistry | None = CollectorRegistry()
            tools = instruments()
            for instrument in (
                tools.http_requests,
                tools.http_duration,
                tools.events,
                tools.collector_errors,
                tools.triage_suggestions,
            ):
                self.registry.register(instrument)
            for collector in self.extra:
                self.registry.register(collector)
        else:
            # A CLI command run with the variable set must not fail on a missing directory.
            os.makedirs(self.multiprocess_dir, exist_ok=True)
            self.registry = None

    def render(self) -> bytes:
        # The database figures first: the triage gauge reads again only when they did.
        database_text = self.database_collector.text()
        if self.registry is not None:
            return generate_latest(self.registry) + database_text
        # Multiprocess: a fresh registry per scrape reads every worker's files.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
        for collector in self.extra:
            registry.register(collector)
        return generate_latest(registry) + database_text

    def authorised(self, header: str) -> bool:
        if self.token is None:
            return True
        scheme, _, secret = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            secret.strip().encode(), self.token.encode()
        )


def init_app(app: Flask) -> Exposition:
    """Add GET /metrics and time every request by its route template."""
    # No *_created series: they double the series count and nothing here reads them.
    disable_created_metrics()
    exposition = Exposition(app)
    app.extensions["kommune_ikt.metrics"] = exposition

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is None:
            return response
        # The rule's template, never the raw path: /tickets/<int:ticket_id>, not /tickets/17.
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        method = request.method if request.method in METHODS else "OTHER"
        status = str(response.status_code)
        tools = instruments()
        tools.http_requests.labels(method=method, route=route, status=status).inc()
        tools.http_duration.labels(method=method, route=route).observe(
            time.perf_counter() - started
        )
        return response

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        """Prometheus text exposition."""
        if not exposition.authorised(request.headers.get("Authorization", "")):
            return problem_response(
                problem(401, "Not authenticated", "Send Authorization: Bearer <METRICS_TOKEN>."),
                {"WWW-Authenticate": "Bearer"},
            )
        return Response(exposition.render(), mimetype=None, content_type=CONTENT_TYPE_PLAIN_0_0_4)

    return exposition


__all__ = ["Exposition", "init_app"]
