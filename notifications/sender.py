"""Sending the outbox over SMTP: claim, send, record; retried with back-off, never sent twice.

Each batch goes through three short transactions:

1. claim: due ``pending`` rows become ``sending`` (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so two senders never take the same row; SQLite serialises
   writers anyway), with their text rendered and a Message-ID fixed;
2. send, outside any transaction (an SMTP server may be slow);
3. record: ``sent``, or back to ``pending`` with exponential back-off after a
   temporary failure, or ``failed`` after a permanent one or too many tries.

Every header value goes through ``header_value`` (a ticket title may hold any
line separator: CR, LF, VT, FF, FS/GS/RS, NEL, U+2028/2029), and a message that
still cannot be rendered or built is marked ``failed`` with the reason, alone:
the rest of the batch, and of the outbox, is sent.

A process that dies between 1 and 3 leaves rows in ``sending``: they may or
may not have gone out, so they are never sent again automatically; after
``STUCK_AFTER`` they are marked ``failed`` with that explanation, and an admin
may retry them (POST /notifications/{id}/retry). At most once, by design.
"""

from __future__ import annotations

import logging
import re
import smtplib
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import MUNICIPAL_ROLES
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import Database
from kommune_ikt.core.types import utcnow
from notifications.models import Notification
from notifications.services import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    recipient_languages,
)
from notifications.texts import render

log = logging.getLogger(__name__)
BATCH = 50
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
STUCK_AFTER = timedelta(minutes=15)
SMTP_TIMEOUT = 30.0
# What can fail while a message is rendered or built from stored text.
BUILD_ERRORS = (ValueError, TypeError, LookupError, ArithmeticError, UnicodeError, MessageError)
_SPACES = re.compile(r"\s+")


def header_value(text: object) -> str:
    """``text`` as one header line: every line separator and control character becomes a
    space (str.splitlines' separators, C0/C1 controls, U+2028/2029), runs of space fold."""
    cleaned = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in str(text)
    )
    return _SPACES.sub(" ", cleaned).strip()


# Mails that answer what a person did (and so could answer an auto-responder):
# at most MAIL_AUTO_REPLY_CAP of them to one address in 24 hours, which ends any
# mail loop that gets past the intake's automatic-mail rules. IT staff are not capped.
CAPPED_EVENTS = ("ticket_created", "ticket_commented", "ticket_resolved")
CAP_WINDOW = timedelta(hours=24)


def backoff(attempts: int) -> timedelta:
    """Wait before try ``attempts + 1``: 1, 2, 4, 8 ... minutes, at most 6 hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


@dataclass
class Outcome:
    notification_id: int
    sent: bool
    error: str | None = None
    permanent: bool = False


SmtpFactory = Callable[[Settings], Any]


def connect(settings: Settings) -> smtplib.SMTP:
    """An SMTP connection as configured (STARTTLS and login when set; port 465 is TLS)."""
    assert settings.smtp_host
    smtp: smtplib.SMTP
    if settings.smtp_port == 465:
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
        if settings.smtp_starttls:
            smtp.starttls()
    if settings.smtp_user:
        smtp.login(settings.smtp_user, settings.smtp_password or "")
    return smtp


def send_due(
    database: Database,
    settings: Settings,
    *,
    now: Callable[[], datetime] = utcnow,
    batch: int = BATCH,
    smtp_factory: SmtpFactory = connect,
) -> dict[str, int | str]:
    """Send every due notification; without SMTP configured, leave them in the outbox."""
    counts: dict[str, int | str] = {"sent": 0, "retry": 0, "failed": 0}
    with _transaction(database) as session:
        counts["stuck"] = _fail_stuck(session, now())
    if not settings.smtp_host:
        with _transaction(database) as session:
            counts["pending"] = (
                session.scalar(
                    sa.select(sa.func.count()).where(col(Notification.status) == PENDING)
                )
                or 0
            )
        counts["smtp"] = "not configured"
        return counts
    while True:
        with _transaction(database) as session:
            claimed = claim(session, settings, now(), batch)
        if not claimed:
            return counts
        outcomes = deliver(claimed, settings, smtp_factory)
        with _transaction(database) as session:
            for key, value in record(session, outcomes, now()).items():
                counts[key] = int(counts[key]) + value
        if len(claimed) < batch:
            return counts


@dataclass(frozen=True)
class Claimed:
    id: int
    recipient: str
    subject: str
    body: str
    message_id: str
    language: str
    # The ticket's thread: In-Reply-To and References (oldest first).
    references: tuple[str, ...] = ()


def thread_id(ticket_id: int, domain: str) -> str:
    """The Message-ID every mail about a ticket refers to (servicedesk/mail matches it)."""
    return f"<ticket-{ticket_id}@{domain}>"


def claim(session: Session, settings: Settings, now: datetime, limit: int) -> list[Claimed]:
    """Take up to ``limit`` due rows for this sender: ``sending``, text and Message-ID fixed."""
    rows = list(
        session.scalars(
            sa.select(Notification)
            .where(col(Notification.status) == PENDING, col(Notification.next_attempt_at) <= now)
            .order_by(col(Notification.next_attempt_at), col(Notification.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    domain = settings.smtp_sender.rpartition("@")[2] or "kommune-ikt.local"
    default_language = settings.notification_language or settings.default_language
    languages = recipient_languages(session, [n.recipient for n in rows if n.language is None])
    capped = _over_cap(session, rows, settings, now)
    claimed = []
    for n in rows:
        if n.id in capped:
            n.status, n.claimed_at = FAILED, now
            n.last_error = (
                f"Not sent: {settings.mail_auto_reply_cap} automatic mails to this address in "
                "24 hours (MAIL_AUTO_REPLY_CAP), which looks like a mail loop."
            )
            continue
        language = n.language or languages.get(n.recipient.lower()) or default_language
        try:
            subject, body = render(n.event, language, n.context)
        except BUILD_ERRORS as exc:
            # This one cannot be written; it fails alone and the rest are sent.
            n.status, n.attempts = FAILED, n.attempts + 1
            n.last_error = f"cannot render the message: {type(exc).__name__}: {exc}"[:500]
            continue
        n.status = SENDING
        n.claimed_at = now
        n.subject, n.body = subject, body
        # Fixed once: a resend after a temporary failure carries the same id,
        # so a receiving system that did get the first one can drop the copy.
        n.message_id = (
            n.message_id or f"<notification-{n.id}.{int(n.created_at.timestamp())}@{domain}>"
        )
        references: tuple[str, ...] = ()
        if n.ticket_id is not None:
            first = n.context.get("in_reply_to")
            references = (*([first] if isinstance(first, str) else []),
                          thread_id(n.ticket_id, domain))  # fmt: skip
        claimed.append(
            Claimed(n.id, n.recipient, subject, body, n.message_id, language, references)  # type: ignore[arg-type]
        )
    session.flush()
    return claimed


def _over_cap(
    session: Session, rows: list[Notification], settings: Settings, now: datetime
) -> set[int]:
    """Rows that would pass the daily cap on automatic mails to their (non-IT) address."""
    wanted = [n for n in rows if n.event in CAPPED_EVENTS]
    if not wanted or settings.mail_auto_reply_cap <= 0:
        return set()
    addresses = {n.recipient for n in wanted}
    staff = set(
        session.scalars(
            sa.select(col(User.email)).where(
                col(User.email).in_(addresses),
                col(User.role).not_in([r.value for r in MUNICIPAL_ROLES]),
            )
        )
    )
    sent = dict(
        session.execute(
            sa.select(col(Notification.recipient), sa.func.count())
            .where(
                col(Notification.recipient).in_(addresses - staff),
                col(Notification.event).in_(CAPPED_EVENTS),
                col(Notification.status) == SENT,
                col(Notification.sent_at) >= now - CAP_WINDOW,
            )
            .group_by(col(Notification.recipient))
        ).all()
    )
    over = set()
    for n in wanted:
        if n.recipient in staff:
            continue
        if sent.get(n.recipient, 0) >= settings.mail_auto_reply_cap:
            over.add(n.id)
        else:
            sent[n.recipient] = sent.get(n.recipient, 0) + 1
    return over  # type: ignore[return-value]


def deliver(claimed: list[Claimed], settings: Settings, smtp_factory: SmtpFactory) -> list[Outcome]:
    """Send over one SMTP connection; a connection failure fails the batch temporarily."""
    try:
        smtp = smtp_factory(settings)
    except (OSError, smtplib.SMTPException) as exc:
        # Temporary even for a refused login: it is the configuration that is
        # wrong, not the message, and it may be fixed before the tries run out.
        log.warning("SMTP connection to %s failed: %s", settings.smtp_host, exc)
        return [Outcome(c.id, False, f"connect: {exc}") for c in claimed]
    outcomes = []
    try:
        for item in claimed:
            outcomes.append(_send_one(smtp, item, settings))
    finally:
        with suppress(OSError, smtplib.SMTPException):
            smtp.quit()
    return outcomes


def build_message(item: Claimed, settings: Settings) -> EmailMessage:
    """The message as it goes out; raises one of BUILD_ERRORS when it cannot be built."""
    message = EmailMessage()
    headers = {
        "From": settings.smtp_sender,
        "To": item.recipient,
        "Subject": item.subject,
        "Message-ID": item.message_id,
        "Date": formatdate(localtime=False),
        "Content-Language": item.language,
        "Auto-Submitted": "auto-generated",
    }
    desk = settings.desk_address()
    if desk:
        headers["Reply-To"] = desk
    if item.references:
        headers["In-Reply-To"] = item.references[0]
        headers["References"] = " ".join(item.references)
    for name, value in headers.items():
        message[name] = header_value(value)
    message.set_content(item.body)
    # Serialise once here, so a message that cannot be written fails before SMTP.
    message.as_bytes(policy=policy.SMTP)
    return message


def _send_one(smtp: Any, item: Claimed, settings: Settings) -> Outcome:
    try:
        message = build_message(item, settings)
    except BUILD_ERRORS as exc:
        log.warning("notification %s cannot be built: %s", item.id, exc)
        reason = f"cannot build the message: {type(exc).__name__}: {exc}"[:500]
        return Outcome(item.id, False, reason, permanent=True)
    try:
        refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(item.id, False, f"refused: {exc.recipients}", permanent=True)
    except smtplib.SMTPResponseException as exc:
        return Outcome(
            item.id, False, f"{exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
        )
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(item.id, False, f"{type(exc).__name__}: {exc}")
    if refused:
        return Outcome(item.id, False, f"refused: {refused}", permanent=True)
    return Outcome(item.id, True)


def record(session: Session, outcomes: list[Outcome], now: datetime) -> dict[str, int]:
    counts = {"sent": 0, "retry": 0, "failed": 0}
    rows = {
        n.id: n
        for n in session.scalars(
            sa.select(Notification).where(
                col(Notification.id).in_([o.notification_id for o in outcomes])
            )
        )
    }
    for outcome in outcomes:
        n = rows[outcome.notification_id]
        n.attempts += 1
        if outcome.sent:
            n.status, n.sent_at, n.last_error = SENT, now, None
            counts["sent"] += 1
        elif outcome.permanent or n.attempts >= MAX_ATTEMPTS:
            n.status, n.last_error = FAILED, outcome.error
            counts["failed"] += 1
        else:
            n.status, n.last_error = PENDING, outcome.error
            n.next_attempt_at = now + backoff(n.attempts)
            counts["retry"] += 1
    session.flush()
    return counts


def _fail_stuck(session: Session, now: datetime) -> int:
    return session.execute(
        sa.update(Notification)
        .where(
            col(Notification.status) == SENDING, col(Notification.claimed_at) < now - STUCK_AFTER
        )
        .values(
            status=FAILED,
            last_error="The sender stopped while sending; it may or may not have been delivered. "
            "Not resent automatically (at most once); retry it if needed.",
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # DML gives a CursorResult


@contextmanager
def _transaction(database: Database) -> Iterator[Session]:
    with database.session() as session, session.begin():
        yield session
