"""The quarantine: list it, accept a mail (a ticket is made) or reject it (agents, admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import MUNICIPAL_ROLES, SYSTEM, Actor, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.errors import Conflict, NotFound, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.pagination import Page, paginate
from kommune_ikt.core.types import utcnow
from service_catalog.models import Municipality
from service_catalog.municipalities import is_active
from servicedesk import filing
from servicedesk.choices import TicketType
from servicedesk.mail import intake
from servicedesk.mail.models import ACCEPTED, QUARANTINED, REJECTED, MailMessage
from servicedesk.mail.parse import ParsedMail, parse

STATES = (QUARANTINED, ACCEPTED, REJECTED)


def list_quarantine(
    session: Session, actor: Actor, *, outcome: str = QUARANTINED, limit: int, cursor: str | None
) -> Page:
    """Quarantined mail (or accepted/rejected), newest first."""
    actor.require(Role.AGENT)
    stmt = sa.select(MailMessage).where(col(MailMessage.outcome) == outcome)
    return paginate(
        session, stmt, keys=[MailMessage.received_at, MailMessage.id], limit=limit, cursor=cursor
    )


def get_quarantined(session: Session, actor: Actor, mail_id: int) -> MailMessage:
    actor.require(Role.AGENT)
    record = session.get(MailMessage, mail_id, with_for_update=True)
    if record is None or record.outcome not in STATES:
        raise NotFound(N_("Quarantined mail %(id)s not found."), params={"id": mail_id})
    return record


def preview(record: MailMessage, length: int = 1000) -> str:
    """The start of the mail's text, for the agent deciding about it."""
    if record.raw is None:
        return ""
    return parse(record.raw).text[:length]


def check_accept(session: Session, actor: Actor, mail_id: int, municipality: str) -> ParsedMail:
    """The quarantined mail, parsed, if it can become a ticket for ``municipality``."""
    record = get_quarantined(session, actor, mail_id)
    if record.outcome != QUARANTINED:
        raise Conflict(
            N_("This mail is already %(outcome)s."), params={"outcome": str(record.outcome)}
        )
    if record.raw is None:
        raise Conflict(
            N_("The mail was too large to keep; handle it in the mailbox's Quarantine folder.")
        )
    member = session.get(Municipality, municipality)
    if member is None or not is_active(member):
        raise ValidationFailed(
            "municipality",
            N_("%(number)s is not a current member."),
            params={"number": municipality},
        )
    return parse(record.raw)


def prepare_files(mail: ParsedMail, sink: intake.AttachmentSink | None) -> intake.Files:
    """Scan and store the mail's files (the sink's network and disk work): call it with no
    transaction open, between ``check_accept`` and ``accept``."""
    return intake.Files(sink, [sink.prepare(f) for f in mail.files] if sink else [], mail.files)


def accept(
    session: Session,
    actor: Actor,
    mail_id: int,
    municipality: str,
    *,
    sink: intake.AttachmentSink | None = None,
    files: intake.Files | None = None,
    now: datetime | None = None,
) -> MailMessage:
    """Make a ticket of a quarantined mail for ``municipality``.

    The requester is the sender when it is a user of that municipality, a new
    requester account when the address is unknown, and otherwise (IT staff,
    another municipality's user) the accepting agent, so the mail's From never
    gains rights it did not have. ``files`` are what ``prepare_files`` made (the
    edge scans them with no transaction open); without them the sink's are made
    here. The checks run again under the row's lock, so two agents accepting at
    once make one ticket.
    """
    now = now or utcnow()
    mail = check_accept(session, actor, mail_id, municipality)
    record = get_quarantined(session, actor, mail_id)
    if files is None:
        files = prepare_files(mail, sink)
    requester = _requester(session, mail.sender, mail.sender_name, municipality)
    requester_id = requester.id if requester is not None else actor.user_id
    if requester_id is None:
        raise ValidationFailed("requester", N_("The system cannot file tickets in its own name."))
    new = filing.NewTicket(
        type=TicketType.INCIDENT,
        title=(mail.subject or "(uten emne)")[:200],
        description=files.body(mail.text),
        municipality=municipality,
        requester_id=requester_id,
        impact=3,
        urgency=3,
        source="email",
    )
    ticket = filing.file_ticket(session, actor, new, now=now).ticket
    assert ticket.id is not None
    if requester is not None:
        intake._thread_receipt(session, ticket.id, mail.message_id)
    filer = (
        Actor(requester.id, Role(requester.role), municipality, requester.email)
        if requester is not None
        else actor
    )
    files.store(session, filer, ticket.id, None)
    record.outcome, record.ticket_id = ACCEPTED, ticket.id
    record.decided_by, record.decided_at = actor.user_id, now
    session.flush()
    return record


def reject(
    session: Session, actor: Actor, mail_id: int, *, now: datetime | None = None
) -> MailMessage:
    """Drop a quarantined mail: its bytes are deleted, its record (and Message-ID) stays."""
    record = get_quarantined(session, actor, mail_id)
    if record.outcome != QUARANTINED:
        raise Conflict(
            N_("This mail is already %(outcome)s."), params={"outcome": str(record.outcome)}
        )
    record.outcome, record.raw = REJECTED, None
    record.decided_by, record.decided_at = actor.user_id, now or utcnow()
    session.flush()
    return record


def _requester(session: Session, sender: str | None, name: str, municipality: str) -> Any:
    if sender is None:
        return None
    user = session.scalar(sa.select(User).where(col(User.email) == sender))
    if user is None:
        return auth_services.create_user(
            session, SYSTEM, email=sender, role=Role.REQUESTER, municipality=municipality,
            name=name,
        )  # fmt: skip
    if (
        user.active
        and Role(user.role) in MUNICIPAL_ROLES
        and user.municipality_number == municipality
    ):
        return user
    return None
