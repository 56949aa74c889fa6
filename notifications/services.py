"""Notification use cases: enqueue into the outbox (in the caller's transaction), list, retry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.db import table_of
from kommune_ikt.core.errors import Conflict, NotFound, ValidationFailed
from kommune_ikt.core.pagination import Page, paginate
from kommune_ikt.core.types import utcnow
from notifications.models import Notification
from notifications.texts import EVENTS, LANGUAGES, render

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATUSES = (PENDING, SENDING, SENT, FAILED)
DISPLAY_ZONE = ZoneInfo("Europe/Oslo")


def enqueue(
    session: Session,
    event: str,
    recipient_email: str | None,
    context: dict[str, Any],
    language: str | None = None,
) -> Notification | None:
    """Queue one e-mail for ``event`` to ``recipient_email`` in the caller's transaction.

    ``event`` is one of ``ticket_created``, ``ticket_assigned``, ``ticket_commented``,
    ``ticket_resolved``, ``sla_warning``, ``sla_breach``. ``context`` holds the values
    the text needs (ticket ``id``, ``number``, ``title``, ``priority``, ``comment``,
    ``resolution``...; datetimes are shown in Oslo time). ``language`` ``None`` means the
    configured ``NOTIFICATION_LANGUAGE``. A missing recipient is skipped.
    """
    if not recipient_email:
        return None
    notification = Notification(**outbox_row(event, recipient_email, context, language))
    session.add(notification)
    return notification


_TABLE = table_of(Notification)
_INSERT = sa.insert(_TABLE).returning(_TABLE.c.id)


def enqueue_many(
    session: Session, mails: Sequence[tuple[str, str, dict[str, Any]]], language: str | None = None
) -> None:
    """``enqueue`` for several ``(event, recipient e-mail, context)`` in one INSERT."""
    if mails:
        # RETURNING makes SQLAlchemy send the rows as one multi-row INSERT.
        session.execute(_INSERT, [outbox_row(*mail, language) for mail in mails])


def outbox_row(
    event: str, recipient: str, context: dict[str, Any], language: str | None = None
) -> dict[str, Any]:
    """A pending outbox row's values (every column but the id), checked."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    ticket_id = context.get("ticket_id", context.get("id"))
    now = utcnow()
    return {
        "event": event,
        "recipient": recipient,
        "language": language,
        "context": _plain(context),
        "ticket_id": ticket_id if isinstance(ticket_id, int) else None,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "subject": None,
        "body": None,
        "message_id": None,
        "created_at": now,
        "claimed_at": None,
        "sent_at": None,
    }


def list_notifications(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    event: str | None = None,
    ticket_id: int | None = None,
    recipient: str | None = None,
    limit: int,
    cursor: str | None,
) -> Page:
    """The outbox, newest first (IT staff: agents and admins)."""
    actor.require(Role.AGENT)
    stmt = sa.select(Notification)
    if status is not None:
        stmt = stmt.where(col(Notification.status) == status)
    if event is not None:
        stmt = stmt.where(col(Notification.event) == event)
    if ticket_id is not None:
        stmt = stmt.where(col(Notification.ticket_id) == ticket_id)
    if recipient is not None:
        stmt = stmt.where(col(Notification.recipient) == recipient)
    return paginate(
        session,
        stmt,
        keys=[Notification.created_at, Notification.id],
        limit=limit,
        cursor=cursor,
    )


def get_notification(session: Session, actor: Actor, notification_id: int) -> Notification:
    actor.require(Role.AGENT)
    notification = session.get(Notification, notification_id)
    if notification is None:
        raise NotFound(f"Notification {notification_id} not found.")
    return notification


def retry_notification(
    session: Session, actor: Actor, notification_id: int, *, now: datetime | None = None
) -> Notification:
    """Send a failed notification again (admin): back to ``pending``, due now."""
    actor.require(Role.ADMIN)
    notification = session.get(Notification, notification_id, with_for_update=True)
    if notification is None:
        raise NotFound(f"Notification {notification_id} not found.")
    if notification.status != FAILED:
        raise Conflict(
            f"Only a failed notification can be retried; this one is {notification.status}."
        )
    notification.status = PENDING
    notification.next_attempt_at = now or utcnow()
    session.flush()
    return notification


def check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise ValidationFailed("status", f"One of {', '.join(STATUSES)}.")


def recipient_languages(session: Session, emails: Sequence[str]) -> dict[str, str]:
    """The language setting of each recipient who is a user and has one, by e-mail."""
    wanted = sorted({e.strip().lower() for e in emails if e})
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(col(User.email), col(User.language)).where(
            col(User.email).in_(wanted), col(User.language).is_not(None)
        )
    )
    return {email: language for email, language in rows if language is not None}


def rendered(
    notifications: Sequence[Notification],
    default_language: str,
    languages: dict[str, str] | None = None,
) -> dict[int, tuple[str, str]]:
    """Subject and body of each notification: as sent, or as it would be sent now.

    The language is the notification's own, else its recipient's (``languages``,
    by e-mail, from ``recipient_languages``), else ``default_language``.
    """
    languages = languages or {}
    out: dict[int, tuple[str, str]] = {}
    for n in notifications:
        if n.subject is not None and n.body is not None:
            out[n.id] = (n.subject, n.body)  # type: ignore[index]
        else:
            language = n.language or languages.get(n.recipient.lower()) or default_language
            out[n.id] = render(n.event, language, n.context)  # type: ignore[index]
    return out


def _plain(context: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in context.items():
        if isinstance(value, datetime):
            value = value.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M")
        elif hasattr(value, "value"):
            value = value.value
        elif not isinstance(value, str | int | float | bool | type(None) | list | dict):
            value = str(value)
        out[key] = value
    return out
