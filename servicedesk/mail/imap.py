"""The desk's IMAP mailbox: where it is (MAIL_IMAP_URL), signing in, listing, fetching, moving.

``imaps://user@host:993/INBOX`` is IMAP over TLS, ``imap://`` plain (for a
server on the same host). The user, percent-decoded, is the desk's address.
Signing in is by ``MAIL_IMAP_PASSWORD``, or by OAuth2 client credentials
(``MAIL_IMAP_OAUTH2_TENANT``, ``_CLIENT_ID``, ``_CLIENT_SECRET``: Exchange
Online's app-only access, a token from the Microsoft identity platform and
SASL XOAUTH2).
"""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from imapclient import IMAPClient

PROCESSED, QUARANTINE = "Processed", "Quarantine"
TIMEOUT = 30.0
EXCHANGE_SCOPE = "https://outlook.office365.com/.default"


class MailConfigError(ValueError):
    """MAIL_IMAP_* settings that cannot work."""


@dataclass(frozen=True)
class MailboxUrl:
    tls: bool
    host: str
    port: int
    user: str
    folder: str

    @classmethod
    def parse(cls, url: str) -> MailboxUrl:
        parts = urlsplit(url)
        if parts.scheme not in {"imap", "imaps"}:
            raise MailConfigError("MAIL_IMAP_URL must start with imaps:// or imap://")
        if not parts.hostname or not parts.username:
            raise MailConfigError("MAIL_IMAP_URL needs a user and a host: imaps://user@host/INBOX")
        tls = parts.scheme == "imaps"
        try:
            port = parts.port or (993 if tls else 143)
        except ValueError as exc:
            raise MailConfigError(f"MAIL_IMAP_URL: {exc}") from exc
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(tls, parts.hostname, port, unquote(parts.username), folder)


def oauth2_token(settings: Any, session: requests.Session | None = None) -> str:
    """An access token by the client-credentials flow (Microsoft identity platform v2)."""
    url = settings.mail_imap_oauth2_token_url.format(tenant=settings.mail_imap_oauth2_tenant)
    with requests.Session() as own:
        return _token(settings, url, session or own)


def _token(settings: Any, url: str, http: requests.Session) -> str:
    response = http.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": settings.mail_imap_oauth2_client_id,
            "client_secret": settings.mail_imap_oauth2_client_secret,
            "scope": EXCHANGE_SCOPE,
        },
        timeout=TIMEOUT,
    )
    if response.status_code != 200:
        try:
            detail = response.json().get("error_description") or response.text
        except ValueError:
            detail = response.text
        raise MailConfigError(f"token endpoint answered {response.status_code}: {detail[:300]}")
    token = response.json().get("access_token")
    if not token:
        raise MailConfigError("token endpoint answered without an access_token")
    return str(token)


class Mailbox:
    """One IMAP session on the desk's folder (UIDs throughout)."""

    def __init__(self, settings: Any) -> None:
        if not settings.mail_imap_url:
            raise MailConfigError("MAIL_IMAP_URL is not set")
        self.url = MailboxUrl.parse(settings.mail_imap_url)
        self.settings = settings
        self.client: IMAPClient | None = None
        self._folders: set[str] = set()

    def __enter__(self) -> Mailbox:
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def open(self, readonly: bool = False) -> None:
        url, settings = self.url, self.settings
        context = ssl.create_default_context() if url.tls else None
        client = IMAPClient(url.host, port=url.port, ssl=url.tls, ssl_context=context,
                            timeout=TIMEOUT)  # fmt: skip
        try:
            if settings.mail_imap_oauth2_client_id:
                client.oauth2_login(url.user, oauth2_token(settings))
            elif settings.mail_imap_password is not None:
                client.login(url.user, settings.mail_imap_password)
            else:
                raise MailConfigError("set MAIL_IMAP_PASSWORD or MAIL_IMAP_OAUTH2_*")
            client.select_folder(url.folder, readonly=readonly)
        except BaseException:
            _quietly(client.logout)
            raise
        self.client = client

    def close(self) -> None:
        if self.client is not None:
            _quietly(self.client.logout)
            self.client = None

    def waiting(self, limit: int) -> list[tuple[int, int]]:
        """``(uid, size)`` of up to ``limit`` mails in the folder, oldest first."""
        assert self.client is not None
        uids = sorted(self.client.search(["NOT", "DELETED"]))[:limit]
        if not uids:
            return []
        sizes = self.client.fetch(uids, ["RFC822.SIZE"])
        return [(uid, int(sizes[uid][b"RFC822.SIZE"])) for uid in uids if uid in sizes]

    def fetch(self, uids: list[int]) -> dict[int, bytes]:
        """The whole mails (not marked seen: a crash leaves them as they were)."""
        assert self.client is not None
        data = self.client.fetch(uids, ["BODY.PEEK[]"])
        return {uid: bytes(d[b"BODY[]"]) for uid, d in data.items() if b"BODY[]" in d}

    def fetch_headers(self, uids: list[int]) -> dict[int, bytes]:
        assert self.client is not None
        data = self.client.fetch(uids, ["BODY.PEEK[HEADER]"])
        return {uid: bytes(d[b"BODY[HEADER]"]) for uid, d in data.items() if b"BODY[HEADER]" in d}

    def move(self, uids: list[int], folder: str) -> None:
        """Move mails out of the desk's folder (created on first use)."""
        client = self.client
        assert client is not None
        if folder not in self._folders:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            self._folders.add(folder)
        if client.has_capability("MOVE"):
            client.move(uids, folder)
            return
        client.copy(uids, folder)
        client.add_flags(uids, [b"\\Deleted"])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()


def _quietly(fn: Any) -> None:
    # Closing a broken connection: nothing left to do.
    with contextlib.suppress(Exception):
        fn()
