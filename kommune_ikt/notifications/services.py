"""Notification use cases: enqueue into the outbox (in the caller's transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def enqueue(
    session: Session,
    event: str,
    recipient_email: str | None,
    context: dict[str, Any],
    language: str | None = None,
) -> None:
    """Queue one e-mail for ``event`` to ``recipient_email`` in the caller's transaction.

    ``event`` is one of ``ticket_created``, ``ticket_assigned``, ``ticket_commented``,
    ``ticket_resolved``, ``sla_warning``, ``sla_breach``. ``context`` holds the values the
    text needs (JSON-serialisable: ticket ``number``, ``title``, ``id``, ``comment``...).
    A missing recipient is skipped. First version: a no-op until the outbox table lands.
    """
    return None
