"""Sending the outbox to a real SMTP server: once, with retries and back-off, nb/en texts."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest

from kommune_ikt.core.types import utcnow
from notifications.models import Notification
from notifications.sender import STUCK_AFTER, backoff, header_value, send_due
from tests.support.machine import free_port
from tests.support.smtp import smtp_settings


def test_without_smtp_notifications_wait_in_the_outbox(outbox):
    outbox.add(2)
    counts = send_due(outbox.database, smtp_settings(None))
    assert counts["pending"] == 2 and counts["smtp"] == "not configured"
    assert [n.status for n in outbox.rows()] == ["pending", "pending"]


def test_sent_once_in_norwegian(outbox, smtp_server):
    outbox.add(3)
    settings = smtp_settings(smtp_server.port)
    assert send_due(outbox.database, settings)["sent"] == 3
    assert send_due(outbox.database, settings)["sent"] == 0
    assert len(smtp_server.messages) == 3
    message = smtp_server.messages[0]
    assert message["Subject"] == "[INC-2026-000001] Vi har mottatt saken din: Skriver"
    assert message["From"] == "servicedesk@orkide.example"
    assert message["To"] == "innbygger0@kristiansund.kommune.no"
    assert "Vennlig hilsen" in message.get_payload()
    rows = outbox.rows()
    assert {n.status for n in rows} == {"sent"}
    assert [m["Message-ID"] for m in smtp_server.messages] == [n.message_id for n in rows]


def test_english_when_configured(outbox, smtp_server):
    outbox.add(1)
    send_due(outbox.database, smtp_settings(smtp_server.port, notification_language="en"))
    assert smtp_server.messages[0]["Subject"].startswith("[INC-2026-000001] We have received")


def test_unreachable_server_is_retried_with_back_off(outbox, smtp_server):
    outbox.add(1)
    before = utcnow()
    counts = send_due(outbox.database, smtp_settings(free_port()))
    assert counts["retry"] == 1
    (row,) = outbox.rows()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("connect:")
    assert row.next_attempt_at >= before + backoff(1)
    # Not due yet: nothing is tried, even with the server back.
    settings = smtp_settings(smtp_server.port)
    assert send_due(outbox.database, settings)["sent"] == 0
    later = row.next_attempt_at + timedelta(seconds=1)
    assert send_due(outbox.database, settings, now=lambda: later)["sent"] == 1
    assert len(smtp_server.messages) == 1
    assert outbox.rows()[0].attempts == 2


def test_back_off_doubles_up_to_six_hours():
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(30) == timedelta(hours=6)


def test_refused_recipient_fails_without_stopping_the_others(outbox, smtp_server):
    outbox.add(3)
    smtp_server.refuse.add("innbygger1@kristiansund.kommune.no")
    counts = send_due(outbox.database, smtp_settings(smtp_server.port))
    assert (counts["sent"], counts["failed"]) == (2, 1)
    assert [n.status for n in outbox.rows()] == ["sent", "failed", "sent"]
    assert "550" in outbox.rows()[1].last_error or "refused" in outbox.rows()[1].last_error


def test_rows_left_sending_by_a_dead_sender_are_not_resent(outbox, smtp_server):
    outbox.add(1)
    with outbox.database.session() as session, session.begin():
        row = session.get(Notification, outbox.rows()[0].id)
        row.status = "sending"
        row.claimed_at = utcnow() - STUCK_AFTER - timedelta(minutes=1)
    counts = send_due(outbox.database, smtp_settings(smtp_server.port))
    assert counts["stuck"] == 1 and counts["sent"] == 0
    assert smtp_server.messages == []
    assert outbox.rows()[0].status == "failed"


def test_two_senders_at_once_never_send_a_message_twice(outbox, smtp_server):
    outbox.add(40)
    settings = smtp_settings(smtp_server.port)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            send_due(outbox.database, settings, batch=3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert {n.status for n in outbox.rows()} == {"sent"}


# --- issue 15, item 14: one bad message never stops the outbox ------------------

SEPARATORS = {
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\n",
    "VT": "\v",
    "FF": "\f",
    "FS": "\x1c",
    "GS": "\x1d",
    "RS": "\x1e",
    "NEL": "\x85",
    "LINE SEPARATOR": "\u2028",
    "PARAGRAPH SEPARATOR": "\u2029",
    "NUL-free C0 (ESC)": "\x1b",
    "TAB": "\t",
}


@pytest.mark.parametrize("separator", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_a_title_with_a_line_separator_is_sent_on_one_header_line(outbox, smtp_server, separator):
    outbox.add(1, title=f"Skriver{separator}Bcc: alle@kommune.no")
    outbox.add(2)
    counts = send_due(outbox.database, smtp_settings(smtp_server.port))
    assert (counts["sent"], counts["failed"], counts["retry"]) == (3, 0, 0)
    assert {n.status for n in outbox.rows()} == {"sent"}
    first = smtp_server.messages[0]
    assert (
        unfold(first["Subject"])
        == "[INC-2026-000001] Vi har mottatt saken din: Skriver Bcc: alle@kommune.no"
    )
    assert first["Bcc"] is None
    assert all(
        header_value(unfold(v)) == unfold(v) for m in smtp_server.messages for v in m.values()
    )


def unfold(value: str) -> str:
    """A header as received, its folding (CRLF + space, RFC 5322) undone."""
    return re.sub(r"\r?\n(?=[ \t])", "", value).strip()


def test_header_value_leaves_no_character_that_splits_a_line():
    text = "a" + "".join(SEPARATORS.values()) + "b" + "".join(chr(c) for c in range(32)) + "c"
    cleaned = header_value(text)
    assert cleaned == "a b c"
    assert len(cleaned.splitlines()) == 1


def test_a_message_that_cannot_be_built_fails_alone_with_its_reason(outbox, smtp_server):
    outbox.add(1)
    # A due time at the very start of the calendar: shown in Oslo time it would fall
    # before year 1, so this warning's text cannot be rendered.
    outbox.add(1, event="sla_warning", due="0001-01-01T00:30:00+01:00", target="resolution")
    outbox.add(1)
    counts = send_due(outbox.database, smtp_settings(smtp_server.port))
    assert counts["sent"] == 2
    rows = outbox.rows()
    assert [n.status for n in rows] == ["sent", "failed", "sent"]
    assert rows[1].last_error.startswith("cannot render the message")
    assert len(smtp_server.messages) == 2


def test_a_message_whose_headers_cannot_be_built_fails_alone(outbox, smtp_server, monkeypatch):
    from notifications import sender

    real = sender.build_message

    def build(item, settings):
        if item.recipient.startswith("innbygger1@"):
            raise ValueError("this message cannot be written")
        return real(item, settings)

    monkeypatch.setattr(sender, "build_message", build)
    outbox.add(3)
    counts = send_due(outbox.database, smtp_settings(smtp_server.port))
    assert (counts["sent"], counts["failed"]) == (2, 1)
    rows = outbox.rows()
    assert [n.status for n in rows] == ["sent", "failed", "sent"]
    assert "cannot build the message" in rows[1].last_error
