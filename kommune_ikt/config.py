"""Typed settings read from the environment (never at import time)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


def _default_database_url() -> str:
    var = Path(os.environ.get("KOMMUNE_IKT_VAR_DIR", "var")).resolve()
    return f"sqlite:///{var / 'kommune-ikt.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment, with defaults for a newcomer."""

    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = ""
    metrics_token: str | None = None
    timezone: str = "Europe/Oslo"
    # Seconds a SQLite writer waits for the lock before giving up.
    sqlite_busy_timeout: float = 10.0
    # How long /metrics may reuse its database readings.
    metrics_cache_seconds: float = 10.0
    # Failed bearer authentications allowed per address and minute.
    auth_failures_per_minute: int = 20
    # Reverse proxies in front of gunicorn that append X-Forwarded-For. 0: the
    # peer's address is the client's. Behind one proxy set 1, or every client
    # shares the proxy's address (and its failed-authentication budget).
    proxy_hops: int = 0
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "servicedesk@kommune-ikt.local"
    smtp_starttls: bool = False
    notification_language: str = "nb"
    log_level: str = "INFO"
    # Web interface sign-in (OpenID Connect) and its sessions.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_provision: bool = False
    oidc_role_claim: str = "roles"
    oidc_municipality_claim: str = "kommunenummer"
    # The one-click sign-in page listing the active users: only for demos.
    demo_signin: bool = False
    web_session_idle_minutes: int = 30
    web_session_max_hours: int = 12

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from environment variables named like the fields, upper-cased."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.type, raw)
        settings = cls(**values)
        if not settings.secret_key:
            settings = replace(settings, secret_key=secrets.token_hex(32))
        return replace(settings, **overrides) if overrides else settings


def _coerce(type_name: Any, raw: str) -> Any:
    kind = str(type_name)
    if kind.startswith("bool"):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind.startswith("int"):
        return int(raw)
    if kind.startswith("float"):
        return float(raw)
    return raw
