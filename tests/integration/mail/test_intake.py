"""What each received mail becomes: tickets, comments, automatic mail, quarantine (both DBs)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth.models import User
from kommune_ikt.core.types import utcnow
from notifications.models import Notification
from service_catalog.models import Municipality
from servicedesk import filing, services
from servicedesk.mail import decisions, intake
from servicedesk.mail.models import MailMessage
from servicedesk.mail.parse import parse
from servicedesk.models import Ticket, TicketComment
from tests.support.mailserver import DESK, mail, reply_to

pytestmark = pytest.mark.db
HOST, OTHER = "1505", "1563"


@pytest.fixture
def members(session, create_municipality):
    create_municipality(HOST)
    create_municipality(OTHER)
    for number, domain in ((HOST, "kristiansund.kommune.no"), (OTHER, "sunndal.kommune.no")):
        m = session.get(Municipality, number)
        m.email_domains = [domain]
    session.commit()


def take(session, message: EmailMessage | bytes, sink: Any = None) -> tuple[Any, Any]:
    raw = message if isinstance(message, bytes) else message.as_bytes()
    parsed = parse(raw)
    decision = decisions.decide(session, parsed, desk=DESK)
    record = intake.apply(session, parsed, decision, raw, sink=sink)
    session.commit()
    return decision, record


def tickets(session) -> list[Ticket]:
    return list(session.scalars(sa.select(Ticket).order_by(Ticket.id)))


def test_new_mail_from_a_user_is_a_ticket_filed_by_them(session, members, create_user):
    kari = create_user("requester", HOST)
    decision, record = take(session, mail(kari.email, "Skriver", "Den virker ikke."))
    assert decision.action == "new"
    ticket = session.get(Ticket, record.ticket_id)
    assert (ticket.title, ticket.requester_id, ticket.source) == ("Skriver", kari.id, "email")
    assert ticket.description == "Den virker ikke."
    assert ticket.municipality_number == HOST
    receipt = session.scalar(sa.select(Notification).where(Notification.ticket_id == ticket.id))
    assert receipt.event == "ticket_created" and receipt.recipient == kari.email
    assert receipt.context["in_reply_to"] == record.message_id


def test_unknown_sender_of_a_member_domain_gets_a_requester_account(session, members):
    decision, record = take(session, mail("Per.Hansen@Sunndal.Kommune.no", "Hjelp", "Tekst"))
    assert decision.action == "new" and decision.municipality == OTHER
    user = session.scalar(sa.select(User).where(User.email == "per.hansen@sunndal.kommune.no"))
    assert (user.role, user.municipality_number) == ("requester", OTHER)
    assert session.get(Ticket, record.ticket_id).requester_id == user.id


def test_mail_from_anywhere_else_waits_in_quarantine_with_its_bytes(session, members):
    message = mail("someone@gmail.example", "Kjøpe IT?", "Hei")
    decision, record = take(session, message)
    assert decision.action == "quarantine" and "unknown sender" in record.reason
    assert record.outcome == "quarantined" and record.raw == message.as_bytes()
    assert tickets(session) == []


def test_same_message_id_twice_changes_nothing(session, members, create_user):
    kari = create_user("requester", HOST)
    message = mail(kari.email)
    take(session, message)
    decision, record = take(session, message)
    assert decision.action == "duplicate" and record is None
    assert len(tickets(session)) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated; owner-email=x@y.example"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"List-Id": "<nyhetsbrev.kommune.no>"},
        {"Return-Path": "<>"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
    ],
)
def test_automatic_mail_is_recorded_never_a_ticket(session, members, create_user, headers):
    kari = create_user("requester", HOST)
    decision, record = take(session, mail(kari.email, "Fravær", "Jeg er borte", headers=headers))
    assert decision.action == "automatic" and record.outcome == "automatic"
    assert tickets(session) == []
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_auto_submitted_no_is_a_person(session, members, create_user):
    kari = create_user("requester", HOST)
    decision, _ = take(session, mail(kari.email, headers={"Auto-Submitted": "no"}))
    assert decision.action == "new"


def test_delivery_status_notification_is_automatic(session, members):
    raw = (
        b"From: MAILER-DAEMON@mx.kristiansund.kommune.no\r\nTo: " + DESK.encode() + b"\r\n"
        b"Subject: Undelivered Mail\r\nMessage-ID: <dsn1@mx>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nNot delivered\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n"
    )
    decision, _ = take(session, raw)
    assert decision.action == "automatic" and "report" in decision.reason


def test_mail_from_the_desk_itself_is_a_loop(session, members):
    decision, _ = take(session, mail(DESK))
    assert decision.action == "automatic"


def _ticket_by(session, user) -> Ticket:
    ticket = filing.file_ticket(
        session,
        user.actor,
        filing.NewTicket(title="Skriver", description="Virker ikke", type="incident", impact=3,
                         urgency=3),
    ).ticket  # fmt: skip
    session.commit()
    return ticket


def _sent(session, ticket: Ticket, message_id: str = "<notification-1.1@it.orkide.example>"):
    """The receipt as the sender fixed it (Message-ID kept), and the mail a client shows."""
    n = session.scalar(sa.select(Notification).where(Notification.ticket_id == ticket.id))
    n.message_id, n.status, n.subject = message_id, "sent", f"[{ticket.number}] Mottatt"
    session.commit()
    sent = EmailMessage()
    sent["Subject"] = n.subject
    sent["Message-ID"] = message_id
    return sent


def test_reply_by_in_reply_to_is_a_public_comment_with_quote_stripped(
    session, members, create_user
):
    kari = create_user("requester", HOST)
    ticket = _ticket_by(session, kari)
    sent = _sent(session, ticket)
    body = (
        "Den virker fortsatt ikke.\n\nFra: Servicedesk <servicedesk@it.orkide.example>\n"
        "Sendt: 3. desember 2026 10:00\nTil: Kari\nEmne: [INC] Mottatt\n\nHei, vi har ...\n"
    )
    message = reply_to(sent, kari.email, body)
    del message["Subject"]
    message["Subject"] = "Re: no number here"
    decision, record = take(session, message)
    assert decision.action == "reply" and decision.ticket_id == ticket.id
    comment = session.get(TicketComment, record.comment_id)
    assert comment.body == "Den virker fortsatt ikke."
    assert (comment.author_id, comment.internal) == (kari.id, False)


def test_reply_by_bracketed_number_in_subject(session, members, create_user):
    kari = create_user("requester", HOST)
    ticket = _ticket_by(session, kari)
    decision, record = take(session, mail(kari.email, f"SV: [{ticket.number}] Mottatt", "Takk"))
    assert decision.action == "reply" and record.comment_id is not None


def test_subject_naming_a_number_that_does_not_exist_is_new_mail(session, members, create_user):
    kari = create_user("requester", HOST)
    decision, record = take(session, mail(kari.email, "Re: [INC-2026-999999] Skriver", "Hei"))
    assert decision.action == "new" and "INC-2026-999999" in decision.reason
    assert session.get(Ticket, record.ticket_id).number != "INC-2026-999999"


def test_reply_to_another_municipalitys_ticket_is_quarantined(session, members, create_user):
    kari = create_user("requester", HOST)
    ola = create_user("requester", OTHER)
    ticket = _ticket_by(session, kari)
    decision, record = take(session, mail(ola.email, f"Re: [{ticket.number}]", "Hei"))
    assert decision.action == "quarantine" and "another municipality" in record.reason
    assert session.scalar(sa.select(sa.func.count()).select_from(TicketComment)) == 0
    # Nothing goes back to the sender: no leak of the ticket.
    assert (
        session.scalar(sa.select(sa.func.count()).where(Notification.recipient == ola.email)) == 0
    )


def test_forged_from_of_an_agent_never_acts(session, members, create_user):
    kari = create_user("requester", HOST)
    agent = create_user("agent")
    ticket = _ticket_by(session, kari)
    decision, record = take(session, mail(agent.email, f"Re: [{ticket.number}]", "Løst!"))
    assert decision.action == "quarantine" and "IT staff" in record.reason
    decision, _ = take(session, mail(agent.email, "Ny sak", "Hei"))
    assert decision.action == "quarantine"
    assert len(tickets(session)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(TicketComment)) == 0


def test_reply_to_a_resolved_ticket_reopens_and_to_a_pending_one_resumes(
    session, members, create_user
):
    kari = create_user("requester", HOST)
    agent = create_user("agent")
    ticket = _ticket_by(session, kari)
    services.update_ticket(session, agent.actor, ticket, {"status": "in_progress"})
    services.update_ticket(session, agent.actor, ticket, {"status": "pending"})
    session.commit()
    take(session, mail(kari.email, f"Re: [{ticket.number}]", "Her er svaret"))
    session.refresh(ticket)
    assert ticket.status == "in_progress"
    services.update_ticket(
        session, agent.actor, ticket, {"status": "resolved", "resolution": "Byttet toner"}
    )
    session.commit()
    take(session, mail(kari.email, f"Re: [{ticket.number}]", "Fortsatt feil"))
    session.refresh(ticket)
    assert ticket.status == "in_progress" and ticket.resolved_at is None


def test_reply_after_the_reopen_window_is_quarantined(session, members, create_user):
    kari = create_user("requester", HOST)
    agent = create_user("agent")
    ticket = _ticket_by(session, kari)
    services.update_ticket(session, agent.actor, ticket, {"status": "in_progress"})
    services.update_ticket(session, agent.actor, ticket, {"status": "resolved", "resolution": "X"})
    ticket.resolved_at = utcnow() - timedelta(days=15)
    session.commit()
    decision, _ = take(session, mail(kari.email, f"Re: [{ticket.number}]", "Hei"))
    assert decision.action == "quarantine" and "14 days" in decision.reason


def test_a_failing_sink_fails_the_mail_and_the_effect_rolls_back(session, members, create_user):
    kari = create_user("requester", HOST)
    message = mail(kari.email, "Skjermbilde", "Se vedlegg")
    message.add_attachment(b"\x89PNG...", maintype="image", subtype="png", filename="a.png")

    class Refusing:
        def prepare(self, file):
            return file

        def add(self, *_a: Any, **_k: Any) -> None:
            raise ValueError("refused")

    with pytest.raises(ValueError):
        take(session, message, sink=Refusing())
    session.rollback()
    assert tickets(session) == []
    assert session.scalar(sa.select(sa.func.count()).select_from(MailMessage)) == 0


def test_files_go_to_the_sink_with_safe_names(session, members, create_user):
    kari = create_user("requester", HOST)
    message = mail(kari.email, "Skjermbilde", "Se vedlegg")
    message.add_attachment(b"root:x:0:0", maintype="text", subtype="plain",
                           filename="../../etc/passwd")  # fmt: skip
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf",
                           filename="faktura\u202egnp.exe")  # fmt: skip
    got: list[Any] = []

    class Sink:
        def prepare(self, file):
            return file

        def add(self, session, actor, ticket_id, file, *, comment_id=None) -> None:
            got.append((actor.user_id, ticket_id, comment_id, file.filename, file.data))

    _, record = take(session, message, sink=Sink())
    assert [g[3] for g in got] == ["passwd", "fakturagnp.exe"]
    assert {g[1] for g in got} == {record.ticket_id} and got[0][0] == kari.id


def test_new_mail_files_through_file_ticket(session, members, create_user, filings):
    kari = create_user("requester", HOST)
    take(session, mail(kari.email, "Skriver", "Den virker ikke."))
    assert [(new.title, new.source, new.requester_id) for new in filings] == [
        ("Skriver", "email", None)
    ]
