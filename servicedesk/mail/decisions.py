"""What a received mail becomes: the decision, made before anything is written.

The rules, in order:

1. A Message-ID already recorded: nothing (the mail was handled; a crash came
   between the commit and the IMAP move, or a copy arrived twice).
2. A mail that could not be read safely (too large, too many or too deeply
   nested parts): quarantine, with the reason.
3. Automatic mail (RFC 3834 ``Auto-Submitted``, ``Precedence``, lists, delivery
   reports, empty return path, auto-reply headers, the desk's own address):
   recorded and ignored; never a ticket, never answered.
4. The sender is IT staff (agent, admin ...): quarantine. ``From`` is easily
   forged, so the mail channel never acts with IT powers; IT staff use the web
   or the API. The mail channel acts with a requester's rights only.
5. A reply: ``In-Reply-To``/``References`` name a mail the service sent (a
   notification's Message-ID, or a ticket's thread id), else the subject
   carries a ticket number in brackets. Never the body. The sender must be an
   active user who may see the ticket as a requester (its requester, or an
   orderer of its municipality); then a public comment by the sender (a
   resolved ticket in its reopen window reopens, a pending one resumes).
   Otherwise quarantine (another municipality's ticket, closed ticket ...).
   A bracketed number that names no ticket is ignored: the mail is new.
6. A new mail from an active municipal user, or from an address in an active
   member's ``email_domains`` (a requester account is made for it): a ticket
   (``source: email``) filed by the sender. Anything else: quarantine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.auth.actor import MUNICIPAL_ROLES, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.types import utcnow
from notifications.models import Notification
from service_catalog.models import Municipality
from servicedesk import lifecycle
from servicedesk.choices import FINAL_STATUSES, NUMBER_PREFIX, TicketStatus
from servicedesk.mail.models import (
    MailMessage,
)
from servicedesk.mail.parse import ParsedMail
from servicedesk.models import Ticket

S = TicketStatus
TICKET_NUMBER = re.compile(
    r"\[((?:" + "|".join(sorted(NUMBER_PREFIX.values())) + r")-\d{4}-\d{6})\]"
)
# The thread id every mail about a ticket names (notifications/sender.py).
THREAD_ID = re.compile(r"^<ticket-(\d{1,10})@([^<>@\s]+)>$")

DUPLICATE, QUARANTINE, AUTO, REPLY, NEW = "duplicate", "quarantine", "automatic", "reply", "new"


@dataclass(frozen=True)
class Decision:
    action: str  # duplicate, quarantine, automatic, reply, new
    reason: str
    ticket_id: int | None = None
    ticket_number: str | None = None
    user_id: int | None = None
    municipality: str | None = None  # a new requester's (unknown sender of a member domain)
    recorded_outcome: str | None = None  # a duplicate's

    def describe(self) -> str:
        if self.action == REPLY:
            return f"reply to {self.ticket_number}: {self.reason}"
        return f"{self.action}: {self.reason}"


def desk_address(settings: Any) -> str | None:
    """The servicedesk's own address (``Settings.desk_address``)."""
    return settings.desk_address() if settings is not None else None


def decide(
    session: Session, mail: ParsedMail, *, desk: str | None = None, now: datetime | None = None
) -> Decision:
    """What ``mail`` becomes; reads only (``kommune-ikt mail check`` shows it)."""
    now = now or utcnow()
    seen = session.execute(
        sa.select(col(MailMessage.outcome), col(MailMessage.ticket_id)).where(
            col(MailMessage.message_id) == mail.message_id
        )
    ).first()
    if seen is not None:
        return Decision(DUPLICATE, f"already handled ({seen.outcome})", ticket_id=seen.ticket_id,
                        recorded_outcome=seen.outcome)  # fmt: skip
    if mail.problem:
        return Decision(QUARANTINE, mail.problem)
    if mail.automatic:
        return Decision(AUTO, mail.automatic)
    if mail.sender is None:
        return Decision(QUARANTINE, "no usable sender address (From)")
    if desk and mail.sender == desk:
        return Decision(AUTO, "sent from the servicedesk's own address (a loop)")
    user = session.scalar(sa.select(User).where(col(User.email) == mail.sender))
    if user is not None and Role(user.role) not in MUNICIPAL_ROLES:
        return Decision(
            QUARANTINE,
            f"sender {mail.sender} is IT staff ({user.role}); mail never acts with IT rights "
            "(From can be forged): use the web or the API",
            user_id=user.id,
        )
    ticket, unknown_number = _thread_ticket(session, mail)
    if ticket is not None:
        return _reply(ticket, user, mail, now)
    note = f" (subject names {unknown_number}, which does not exist)" if unknown_number else ""
    if user is not None:
        if not user.active:
            return Decision(QUARANTINE, f"sender {mail.sender} is deactivated{note}")
        return Decision(NEW, f"new ticket from {user.role} {mail.sender}{note}", user_id=user.id,
                        municipality=user.municipality_number)  # fmt: skip
    domain = mail.sender.rpartition("@")[2]
    member = _member_of_domain(session, domain, now)
    if member is not None:
        return Decision(
            NEW,
            f"new ticket from unknown sender of {member.number} {member.name} ({domain}); "
            f"a requester account is made{note}",
            municipality=member.number,
        )
    return Decision(QUARANTINE, f"unknown sender {mail.sender} (no user, no member domain){note}")


def _reply(ticket: Ticket, user: User | None, mail: ParsedMail, now: datetime) -> Decision:
    base: dict[str, Any] = {"ticket_id": ticket.id, "ticket_number": ticket.number}
    if user is None or not user.active:
        who = "unknown" if user is None else "deactivated"
        return Decision(QUARANTINE, f"reply to {ticket.number} from {who} sender {mail.sender}",
                        **base)  # fmt: skip
    if user.municipality_number != ticket.municipality_number:
        return Decision(
            QUARANTINE,
            f"reply to {ticket.number}, a ticket of another municipality, from {mail.sender}",
            **base,
        )
    if ticket.requester_id != user.id and Role(user.role) != Role.ORDERER:
        return Decision(
            QUARANTINE, f"reply to {ticket.number} from {mail.sender}, who did not file it", **base
        )
    status = S(ticket.status)
    if status in FINAL_STATUSES:
        return Decision(QUARANTINE, f"reply to {ticket.number}, which is {status.value}", **base)
    if status == S.RESOLVED and not lifecycle.can_reopen(ticket.resolved_at, now):
        return Decision(
            QUARANTINE,
            f"reply to {ticket.number}, resolved more than 14 days ago (reopen window over)",
            **base,
        )
    what = {S.RESOLVED: "comment, reopens", S.PENDING: "comment, resumes"}.get(status, "comment")
    return Decision(REPLY, what, user_id=user.id, **base)


def _thread_ticket(session: Session, mail: ParsedMail) -> tuple[Ticket | None, str | None]:
    """The ticket a reply belongs to: by the Message-IDs it names, else the subject's number."""
    ids = mail.thread_ids
    if ids:
        found = session.scalar(
            sa.select(col(Notification.ticket_id))
            .where(col(Notification.message_id).in_(ids), col(Notification.ticket_id).is_not(None))
            .limit(1)
        )
        if found is None:
            for mid in ids:
                match = THREAD_ID.match(mid)
                if match:
                    found = int(match.group(1))
                    break
        if found is not None:
            ticket = session.get(Ticket, found)
            if ticket is not None:
                return ticket, None
    match = TICKET_NUMBER.search(mail.subject)
    if match:
        number = match.group(1)
        ticket = session.scalar(sa.select(Ticket).where(col(Ticket.number) == number))
        return ticket, (None if ticket is not None else number)
    return None, None


def _member_of_domain(session: Session, domain: str, now: datetime) -> Municipality | None:
    from service_catalog.municipalities import is_active

    for m in session.scalars(sa.select(Municipality).order_by(Municipality.number)):
        if domain in (m.email_domains or []) and is_active(m):
            return m
    return None


def wants_files(decision: Decision) -> bool:
    """Whether the mail's files will be stored (so ``AttachmentSink.prepare`` is worth it)."""
    return decision.action in {REPLY, NEW}
