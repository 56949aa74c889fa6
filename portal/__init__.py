"""The web interface for people (municipal staff first): server-rendered pages at ``/``.

Pages call the same service functions as the API (never the API over HTTP); the
templates live per domain under ``templates/``, the shared markup (and the only
Designsystemet classes) in ``templates/components/``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, request
from flask_compress import Compress

STATIC_DIR = Path(__file__).parent / "static"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
COMPRESSED = ("text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml")
# The page modules, each with its own blueprint (``bp``) and menu entries (portal.nav). A page
# package (portal/admin/, ...) has one blueprint, in its blueprint.py, for all its modules.
PAGES = (
    "portal.views",
    "portal.catalog",
    "portal.costs",
    "portal.special",
    "portal.profile",
    "portal.operations",
    "portal.agent",
    "portal.admin",
    "portal.admin_desk",
    "portal.catalogue_admin",
)


def init_portal(app: Flask) -> None:
    """Register the web interface on ``app`` (at ``/``), its cookie, CSRF and language."""
    import importlib

    from portal import auth, i18n, refusals
    from portal.sessions import PortalCookieSessions

    app.session_interface = PortalCookieSessions()
    # Compress what browsers load (pages, styles, scripts, charts); the API's JSON stays as
    # it is (its clients and figures are unchanged). Static files compress as they stream.
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSED))
    app.config.setdefault("COMPRESS_STREAMING_ENDPOINT_CONDITIONAL", ["portal.static"])
    Compress(app)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # bound to the session instead
    i18n.init(app)
    auth.init_oidc(app)
    app.register_blueprint(auth.bp)
    for module in PAGES:
        page_bp = importlib.import_module(module).bp
        refusals.register(page_bp)  # one way every page shows a refusal (404, 403, 4xx page)
        app.register_blueprint(page_bp)
    version = _asset_version()

    @app.context_processor
    def _assets() -> dict[str, str]:
        return {"asset_version": version}

    @app.after_request
    def _cache_static(response: Response) -> Response:
        # Versioned URLs (?v=…) change with the files, so browsers may keep them a year.
        if request.endpoint == "portal.static" and response.direct_passthrough:
            # Read the (small) file into the response, so that Flask-Compress compresses it
            # whole and the file is closed here (its streaming path leaves it open).
            body = response.response
            response.direct_passthrough = False
            response.set_data(b"".join(c if isinstance(c, bytes) else c.encode() for c in body))
            getattr(body, "close", lambda: None)()
        if request.path.startswith("/static/portal/") and request.args.get("v") == version:
            response.cache_control.public = True
            response.cache_control.max_age = 31_536_000
            response.cache_control.immutable = True
        return response


def _asset_version() -> str:
    """A short digest of the static files: their URLs change whenever one does."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
