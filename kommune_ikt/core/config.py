"""Typed settings read from the environment (never at import time)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


def _var_dir() -> Path:
    return Path(os.environ.get("KOMMUNE_IKT_VAR_DIR", "var")).resolve()


def _default_database_url() -> str:
    return f"sqlite:///{_var_dir() / 'kommune-ikt.sqlite3'}"


def _host_secret_key() -> str:
    """A key shared by every process on this host when SECRET_KEY is unset.

    Web sessions' cookies and CSRF tokens are signed with it, so the gunicorn
    workers (and a restart) must agree on it: it is made once, readable by the
    service's user only, under the var directory. Several hosts must set SECRET_KEY.
    """
    path = _var_dir() / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a private file, then linked into place: a worker never
    # reads a half-written key, and the first link wins.
    tmp = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


CURRENCIES = ("NOK", "SEK")


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
    # Language of texts when the user has none and the request names none (nb, nn, sv, en).
    default_language: str = "nb"
    # Language of e-mails to recipients without a language of their own; None: default_language.
    notification_language: str | None = None
    # Networks probes may reach although not public (comma-separated CIDRs, e.g.
    # "10.20.0.0/16"); loopback, link-local, private and reserved are refused otherwise.
    probe_allow_networks: str = ""
    # E-mail intake (servicedesk/mail): off while MAIL_IMAP_URL is unset.
    mail_imap_url: str | None = None
    mail_imap_password: str | None = None
    mail_imap_oauth2_tenant: str | None = None
    mail_imap_oauth2_client_id: str | None = None
    mail_imap_oauth2_client_secret: str | None = None
    mail_imap_oauth2_token_url: str = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"  # noqa: S105 - a URL
    mail_poll_seconds: float = 30.0
    # The desk's address (Reply-To of every mail sent); default: MAIL_IMAP_URL's user.
    mail_desk_address: str | None = None
    # A larger mail is quarantined without being fetched.
    mail_max_bytes: int = 35_000_000
    # Mails looked at per intake run.
    mail_batch: int = 500
    # Automatic mails (receipts, comments, resolutions) to one address per 24 hours.
    mail_auto_reply_cap: int = 10
    log_level: str = "INFO"
    # Attachments (servicedesk/attachments): where their bytes live ("local": files
    # under ATTACHMENT_DIR, default <var>/attachments; "database": in PostgreSQL or
    # SQLite, for several application hosts), the largest file, the virus scanner
    # (clamd's "host:port" or Unix socket path; unset: no scanning).
    attachment_store: str = "local"
    attachment_dir: str = ""
    attachment_max_bytes: int = 25 * 1024 * 1024
    clamd_address: str | None = None
    clamd_timeout: float = 30.0
    # Triage (docs/triage.md): route by the model's confident queue prediction at creation.
    triage_auto_route: bool = False
    # The precision on held-out tickets a field's threshold is chosen to reach.
    triage_target_precision: float = 0.90
    # Resolved tickets since the current model that make the nightly job retrain.
    triage_retrain_min_new: int = 100
    # Training reads at most this many of the newest resolved tickets.
    triage_max_samples: int = 100_000
    # The collaboration's currency: NOK (Norway) or SEK (a Swedish collaboration).
    # Every amount is in it; the API document says so.
    currency: str = "NOK"
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

    def desk_address(self) -> str | None:
        """The servicedesk's own address: MAIL_DESK_ADDRESS, else MAIL_IMAP_URL's user."""
        if self.mail_desk_address:
            return self.mail_desk_address.strip().lower()
        if self.mail_imap_url:
            from urllib.parse import unquote, urlsplit

            user = unquote(urlsplit(self.mail_imap_url).username or "")
            return user.lower() if "@" in user else None
        return None

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
        if settings.currency not in CURRENCIES:
            raise ValueError(f"CURRENCY={settings.currency!r}: use one of {', '.join(CURRENCIES)}.")
        if not settings.secret_key:
            settings = replace(settings, secret_key=_host_secret_key())
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
