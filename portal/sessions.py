"""Sign-in sessions of the web interface: opened, checked on every request, ended.

The browser's cookie (Flask's signed session, only on the portal's paths) holds a
random token; the ``web_sessions`` row keyed by its SHA-256 says who it is. A
session ends at sign-out, after ``web_session_idle_minutes`` without a request,
after ``web_session_max_hours`` in all, and at once when its user is deactivated
or their role or municipality changes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import saved_id
from kommune_ikt.core.types import utcnow
from portal.models import WebSession

# last_seen_at is written at most this often: not one UPDATE per page view.
TOUCH_EVERY = timedelta(minutes=1)


class PortalCookieSessions(SecureCookieSessionInterface):
    """A signed cookie for the web pages only (CSRF token, the sign-in token, the OIDC
    state); the API stays cookieless (bearer tokens)."""

    def _is_api(self) -> bool:
        return request.path.startswith("/api/") or request.path in {
            "/healthz",
            "/readyz",
            "/metrics",
        }

    def open_session(self, app: Flask, request: Any) -> Any:
        if self._is_api():
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if self._is_api():
            return None
        return super().save_session(app, session, response)

    def get_cookie_secure(self, app: Flask) -> bool:
        # Secure whenever the browser reached us over TLS, also through a proxy.
        return request.is_secure or request.headers.get("X-Forwarded-Proto", "") == "https"

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True

    def get_cookie_samesite(self, app: Flask) -> str:
        return "Lax"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_web_session(session: Session, user: User, settings: Settings) -> str:
    """A new session for ``user``; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            id=_hash(token),
            user_id=saved_id(user),
            role=user.role,
            municipality_number=user.municipality_number,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.web_session_max_hours),
        )
    )
    # What the admin's user list shows as last seen: web sign-ins count, as API calls do.
    user.last_seen_at = now
    session.flush()
    return token


def end_web_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(sa.delete(WebSession).where(col(WebSession.id) == _hash(token)))


def resume(session: Session, token: str | None, settings: Settings) -> Actor | None:
    """The actor of a live session, or None (and the row deleted when it has ended)."""
    if not token:
        return None
    row = session.get(WebSession, _hash(token))
    if row is None:
        return None
    now = utcnow()
    user = session.get(User, row.user_id)
    idle = timedelta(minutes=settings.web_session_idle_minutes)
    if (
        user is None
        or not user.active
        or user.role != row.role
        or user.municipality_number != row.municipality_number
        or now >= row.expires_at
        or now - row.last_seen_at >= idle
    ):
        session.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        user.last_seen_at = now
    return Actor(user.id, Role(user.role), user.municipality_number, user.email, user.language)


def ended_before(session: Session, now: datetime | None = None) -> int:
    """Delete every expired row (a housekeeping job may call this); returns how many."""
    now = now or utcnow()
    result = session.execute(sa.delete(WebSession).where(col(WebSession.expires_at) <= now))
    return int(getattr(result, "rowcount", 0) or 0)
