"""The application factory."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, jsonify
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from kommune_ikt import __version__
from kommune_ikt.core import logsafe
from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import Database, create_db_engine
from kommune_ikt.core.errors import problem
from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import configure_cursor_key
from kommune_ikt.web import apidocs
from kommune_ikt.web.edge import ProblemApi, database, init_edge, problem_response
from kommune_ikt.web.i18n import init_i18n
from kommune_ikt.web.security_headers import SecurityHeaders


class DatabaseIntConverter(IntegerConverter):
    """``<int:id>`` limited to what an integer key can hold: larger ids are a 404, not a 500."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


MAX_BODY_BYTES = 1024 * 1024


class NoCookieSessions(SessionInterface):
    """No cookie sessions: every caller authenticates with a bearer token, so there is
    nothing to keep between requests (and no cookie to sign, verify or forge)."""

    def open_session(self, app: Flask, request: Any) -> Any:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        return None


def create_app(config_overrides: dict[str, Any] | None = None) -> Flask:
    """Build the WSGI app; ``config_overrides`` may hold Settings fields or Flask config keys."""
    overrides = dict(config_overrides or {})
    setting_names = set(Settings.__dataclass_fields__)
    settings = overrides.pop("SETTINGS", None) or Settings.from_env(
        **{k: v for k, v in overrides.items() if k in setting_names}
    )
    app = Flask("kommune_ikt")
    app.session_interface = NoCookieSessions()
    if settings.proxy_hops:
        # Only the entries our own proxies appended are believed: a client cannot
        # pick its address (and so its failed-authentication budget) by sending one.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops)  # type: ignore[method-assign]
    # Outermost, so that every response gets them, whatever answered it.
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]
    app.url_map.converters["int"] = DatabaseIntConverter
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        API_TITLE="Kommune-IKT",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
        # /api/docs is served from our own files (kommune_ikt/web/apidocs.py), not flask-smorest's
        # page, which loads Swagger UI from a CDN with an inline script.
        API_SPEC_OPTIONS={
            "info": {
                "description": "Service catalogue, shared servicedesk and metrics for "
                "inter-municipal IT collaborations. Authenticate with "
                "`Authorization: Bearer <token>`. Amounts are decimal strings in NOK "
                "(the deployment's `CURRENCY`)."
            },
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
        JSON_SORT_KEYS=False,
        # The largest legitimate body (a 20,000-character description, escaped) is
        # far below this; anything bigger is a 413 before it is read into memory.
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
    )
    app.config.update({k: v for k, v in overrides.items() if k not in setting_names})
    logging.basicConfig(level=settings.log_level)
    # Untrusted text (paths, titles, database errors) cannot break a log line.
    logsafe.install()

    engine = overrides.get("ENGINE") or create_db_engine(
        settings.database_url, sqlite_busy_timeout=settings.sqlite_busy_timeout
    )
    app.extensions["kommune_ikt.db"] = Database(engine)

    init_i18n(app)
    api = ProblemApi(app)
    app.extensions["kommune_ikt.api"] = api
    # Metrics before the edge: Flask runs before_request hooks in this order and
    # after_request hooks in reverse, so the timer starts before authentication
    # (a 401 or a 503 it answers is counted too) and the request is counted after
    # the edge's commit, with the status the client really gets.
    _register_metrics(app)
    init_edge(app)
    configure_cursor_key(settings.secret_key)
    _register_health(app)
    _register_blueprints(api)
    app.register_blueprint(apidocs.blp)
    document_currency(api, settings.currency)
    _register_portal(app)
    return app


def document_currency(api: Any, currency: str) -> None:
    """Say the deployment's currency wherever the API document speaks of money.

    Schemas are written with NOK (the default); a Swedish collaboration runs with
    ``CURRENCY=SEK``, and its document must not promise kroner of another country.
    """
    to_dict = api.spec.to_dict

    def with_currency() -> dict[str, Any]:
        return _swap_currency(to_dict(), currency)

    api.spec.to_dict = with_currency


def _swap_currency(node: Any, currency: str) -> Any:
    if isinstance(node, dict):
        out = {k: _swap_currency(v, currency) for k, v in node.items()}
        if isinstance(out.get("description"), str):
            out["description"] = re.sub(r"\bNOK\b", currency, out["description"])
        if "x-currency" in out:
            out["x-currency"] = currency
        return out
    if isinstance(node, list):
        return [_swap_currency(v, currency) for v in node]
    return node


def _register_portal(app: Flask) -> None:
    # The web interface at "/": its own cookie (the API stays cookieless).
    from portal import init_portal

    init_portal(app)


def _register_health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness: the process runs."""
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> Response:
        """Readiness: the database answers (and, as detail, whether triage has its model)."""
        if database().ping():
            return jsonify(status="ok", triage=_triage_status())
        return problem_response(
            problem(503, N_("Service unavailable"), N_("The database is not answering."))
        )


def _triage_status() -> dict[str, Any]:
    """The triage model's state in this process; a failed model leaves the desk ready
    (routing rules alone decide), so it is detail, not a 503."""
    from servicedesk.triage import store

    try:
        with database().session() as session:
            current = store.current(session)
        return {"state": current.state, "model_version": current.version,
                "detail": current.detail}  # fmt: skip
    except Exception:
        return store.status()


def _register_blueprints(api: ProblemApi) -> None:
    # Imported here, not at module top, so that importing kommune_ikt.app does
    # not drag every domain in before the settings exist.
    from kommune_ikt.web.users import blp as auth_blp
    from metrics.api import blueprints as metrics_blueprints
    from notifications.api import blueprints as notification_blueprints
    from service_catalog.api import blueprints as catalog_blueprints
    from servicedesk.api import blueprints as servicedesk_blueprints
    from servicedesk.sla.api import blueprints as sla_blueprints

    api.register_blueprint(auth_blp, url_prefix="/api/v1")
    for blp in catalog_blueprints():
        api.register_blueprint(blp, url_prefix="/api/v1")
    for blp in servicedesk_blueprints():
        api.register_blueprint(blp, url_prefix="/api/v1")
    for blp in sla_blueprints():
        api.register_blueprint(blp, url_prefix="/api/v1")
    for blp in notification_blueprints():
        api.register_blueprint(blp, url_prefix="/api/v1")
    for blp in metrics_blueprints():
        api.register_blueprint(blp, url_prefix="/api/v1")


def _register_metrics(app: Flask) -> None:
    # Imported here for the same reason as the blueprints above.
    from metrics.exposition import init_app
    from metrics.probing import parse_networks

    # A malformed PROBE_ALLOW_NETWORKS stops the start, not the first probe run.
    parse_networks(app.config["SETTINGS"].probe_allow_networks)
    init_app(app)
