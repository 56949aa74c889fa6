"""Who a ticket's e-mails go to: the addresses of the active users an event names."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.models import User


def recipients(
    session: Session, events: Iterable[tuple[str, int | None]], known: dict[int, str] | None
) -> list[tuple[str, str]]:
    """``(event, e-mail)`` of each ``(event, user id)`` whose user is active; ``known`` are
    addresses of active users at hand (the caller, a picked agent), the others are looked
    up in one query."""
    events = list(events)
    emails = dict(known or {})
    wanted = {i for _, i in events if i is not None} - set(emails)
    if wanted:
        rows = session.execute(
            sa.select(col(User.id), col(User.email)).where(
                col(User.id).in_(wanted), col(User.active).is_(True)
            )
        )
        emails.update({user_id: email for user_id, email in rows if user_id is not None})
    return [(event, emails[i]) for event, i in events if i in emails]
