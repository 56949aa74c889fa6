"""Making a mail's decision so, in one transaction (apply), or quarantining it.

``decisions.decide`` says what a mail becomes (its module lists the rules);
Files (attached and inline) go to one ``AttachmentSink``; a sink that refuses
one (too large, infected) fails the mail, which is then quarantined whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.types import utcnow
from notifications.models import Notification
from servicedesk import filing, services
from servicedesk.choices import TicketType
from servicedesk.filing import AutoRoute
from servicedesk.mail.decisions import (
    AUTO,
    DUPLICATE,
    QUARANTINE,
    REPLY,
    Decision,
    S,
    wants_files,
)
from servicedesk.mail.models import (
    AUTOMATIC,
    COMMENT,
    QUARANTINED,
    TICKET,
    MailMessage,
)
from servicedesk.mail.parse import MailFile, ParsedMail
from servicedesk.models import Ticket


class AttachmentSink(Protocol):
    """Where a mail's files (attached and inline) go, in two phases like an upload.

    ``prepare`` runs before the mail's transaction (it may scan and write
    bytes; no database): it raises to refuse a file (too large, infected) and
    ``TemporaryFailure`` when it cannot decide now (the scanner is down).
    ``add`` runs in the mail's transaction and stores what ``prepare`` gave, on
    the ticket (and comment), as ``actor``.
    """

    def prepare(self, file: MailFile) -> Any: ...

    def add(
        self,
        session: Session,
        actor: Actor,
        ticket_id: int,
        prepared: Any,
        *,
        comment_id: int | None = None,
    ) -> Any: ...


class TemporaryFailure(Exception):
    """The mail cannot be handled now (e.g. the virus scanner is down): try it next run."""


def apply(
    session: Session,
    mail: ParsedMail,
    decision: Decision,
    raw: bytes | None,
    *,
    sink: AttachmentSink | None = None,
    prepared: list[Any] | None = None,
    now: datetime | None = None,
    auto_route: AutoRoute | None = None,
) -> MailMessage | None:
    """Make ``decision`` so and record the mail, in the caller's transaction (flushes only).

    ``prepared`` are the mail's files as ``sink.prepare`` returned them (one per
    file, in order); without it they are prepared here (no transaction should be
    open then: the job prepares first).
    """
    now = now or utcnow()
    if sink is not None and prepared is None and wants_files(decision):
        prepared = [sink.prepare(f) for f in mail.files]
    files = Files(sink, prepared or [], mail.files)
    if decision.action == DUPLICATE:
        return None
    record = MailMessage(
        message_id=mail.message_id,
        received_at=now,
        sender=mail.sender,
        subject=mail.subject[:300] or None,
        size=mail.size,
        reason=decision.reason,
        ticket_id=decision.ticket_id,
        outcome="",  # set below, by the decision
    )
    if decision.action == AUTO:
        record.outcome = AUTOMATIC
    elif decision.action == QUARANTINE:
        record.outcome = QUARANTINED
        record.raw = raw
    elif decision.action == REPLY:
        record.outcome = COMMENT
        record.comment_id = _comment(session, mail, decision, files, now)
    else:
        record.outcome = TICKET
        record.ticket_id = _new_ticket(session, mail, decision, files, now, auto_route)
    session.add(record)
    session.flush()
    return record


def quarantine(
    session: Session,
    mail: ParsedMail,
    raw: bytes | None,
    reason: str,
    *,
    now: datetime | None = None,
) -> MailMessage | None:
    """Record ``mail`` in quarantine (after its processing failed); nothing if already recorded."""
    exists = session.scalar(
        sa.select(col(MailMessage.id)).where(col(MailMessage.message_id) == mail.message_id)
    )
    if exists is not None:
        return None
    record = MailMessage(
        message_id=mail.message_id,
        received_at=now or utcnow(),
        sender=mail.sender,
        subject=mail.subject[:300] or None,
        size=mail.size,
        outcome=QUARANTINED,
        reason=reason[:2000],
        raw=raw,
    )
    session.add(record)
    session.flush()
    return record


def _actor(user: User) -> Actor:
    """The sender as the mail channel lets it act: its own role, which is municipal."""
    return Actor(user.id, Role(user.role), user.municipality_number, user.email)


@dataclass(frozen=True)
class Files:
    """A mail's files and what the sink prepared of them (nothing without a sink)."""

    sink: AttachmentSink | None
    prepared: list[Any]
    files: list[MailFile]

    def body(self, text: str) -> str:
        """The comment's or description's text; without a sink it names the files it drops."""
        text = text.strip()
        if self.files and self.sink is None:
            names = ", ".join(f.filename for f in self.files)
            text = f"{text}\n\n[Vedlegg ikke lagret: {names}]".strip()
        if not text:
            text = "(vedlegg)" if self.files else "(tom e-post)"
        return text

    def store(self, session: Session, actor: Actor, ticket_id: int, comment_id: int | None) -> None:
        if self.sink is None:
            return
        for prepared in self.prepared:
            self.sink.add(session, actor, ticket_id, prepared, comment_id=comment_id)


def _comment(
    session: Session,
    mail: ParsedMail,
    decision: Decision,
    files: Files,
    now: datetime,
) -> int:
    ticket = session.get(Ticket, decision.ticket_id, with_for_update=True)
    user = session.get(User, decision.user_id)
    assert ticket is not None and user is not None
    actor = _actor(user)
    if S(ticket.status) == S.RESOLVED:
        reopener = actor if ticket.requester_id == user.id else SYSTEM
        services.update_ticket(session, reopener, ticket, {"status": S.IN_PROGRESS.value}, now=now)
    body = files.body(mail.reply_text)
    comment = services.add_comment(session, actor, ticket, body, now=now)
    if S(ticket.status) == S.PENDING:
        services.update_ticket(session, SYSTEM, ticket, {"status": S.IN_PROGRESS.value}, now=now)
    assert ticket.id is not None and comment.id is not None
    files.store(session, actor, ticket.id, comment.id)
    return comment.id


def _new_ticket(
    session: Session,
    mail: ParsedMail,
    decision: Decision,
    files: Files,
    now: datetime,
    auto_route: AutoRoute | None = None,
) -> int:
    if decision.user_id is not None:
        user = session.get(User, decision.user_id)
        assert user is not None
    else:
        assert decision.municipality is not None and mail.sender is not None
        user = auth_services.create_user(
            session,
            SYSTEM,
            email=mail.sender,
            role=Role.REQUESTER,
            municipality=decision.municipality,
            name=mail.sender_name,
        )
    actor = _actor(user)
    new = filing.NewTicket(
        type=TicketType.INCIDENT,
        impact=3,
        urgency=3,
        title=(mail.subject or "(uten emne)")[:200],
        description=files.body(mail.text),
        source="email",
    )
    ticket = filing.file_ticket(session, actor, new, now=now, auto_route=auto_route).ticket
    assert ticket.id is not None
    _thread_receipt(session, ticket.id, mail.message_id)
    files.store(session, actor, ticket.id, None)
    return ticket.id


def _thread_receipt(session: Session, ticket_id: int, message_id: str) -> None:
    """The receipt (and every mail about the ticket) answers the requester's mail."""
    for n in session.scalars(
        sa.select(Notification).where(col(Notification.ticket_id) == ticket_id)
    ):
        n.context = {**n.context, "in_reply_to": message_id}
    session.flush()
