"""Security headers on every response, as WSGI middleware so that none escapes them.

- ``X-Content-Type-Options: nosniff`` and a strict ``Content-Security-Policy``:
  scripts, styles, images, fonts and requests from this origin only, no inline
  script or style, no plugins, and no framing (``frame-ancestors 'none'``);
- ``Cache-Control: no-store`` on every ``/api/`` response that sets no
  Cache-Control of its own: API responses carry personal data and, for token
  creation, a secret shown once, which no browser or proxy may keep on disk.
  The docs page's static assets set their own (cacheable) value.

A response that sets one of these headers itself keeps its own value (a web
page that needs a nonce, say).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)
NO_STORE = ("Cache-Control", "no-store")


class SecurityHeaders:
    """Wrap a WSGI app: add the headers above to each response that lacks them."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        api = environ.get("PATH_INFO", "").startswith("/api/")

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            extra = [(n, v) for n, v in HEADERS if n.lower() not in present]
            if api and "cache-control" not in present:
                extra.append(NO_STORE)
            return start_response(status, headers + extra, exc_info)

        return self.app(environ, start)
