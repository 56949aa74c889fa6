"""`kommune-ikt serve` with its scheduler, a real Dovecot and an SMTP sink: the mail channel.

A mail in becomes a ticket, the receipt goes out, a reply built from the sent
receipt becomes a comment, and an out-of-office answer to the receipt creates
nothing (and is not answered).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.machine import free_port as smtp_port
from tests.support.mailserver import PASSWORD, Dovecot, mail, reply_to, start_dovecot
from tests.support.smtp import Handler

pytestmark = [pytest.mark.e2e, pytest.mark.mail]
KARI = "kari@kristiansund.kommune.no"


@pytest.fixture
def dovecot_server() -> Iterator[Dovecot]:
    server = start_dovecot()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def smtp_sink() -> Iterator[Handler]:
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


def wait_for(what: Callable[[], Any], timeout: float = 60, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting: {message}")


def test_mail_in_ticket_receipt_reply_and_out_of_office(server_factory, dovecot_server, smtp_sink):
    server = server_factory(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_sink.port),
        SMTP_SENDER="servicedesk@it.orkide.example",
        MAIL_IMAP_URL=dovecot_server.url,
        MAIL_IMAP_PASSWORD=PASSWORD,
        MAIL_POLL_SECONDS="1",
        SCHEDULER_EVERY="notifications_send=1",
    )
    server.cli("db", "upgrade")
    admin = server.add_user("admin@orkide.example", "admin")
    server.start(workers=1, extra=())
    joined = server.request("POST", "/api/v1/municipalities", admin,
                            {"number": "1505", "email_domains": ["kristiansund.kommune.no"]})  # fmt: skip
    assert joined.status == 201, joined.json

    # 1. A mail from an unknown sender of a member domain becomes a ticket.
    dovecot_server.deliver(mail(KARI, "Skriveren på rådhuset", "Den skriver ikke ut."))

    def tickets() -> list[dict[str, Any]]:
        return server.request("GET", "/api/v1/tickets", admin).json["items"]

    [ticket] = wait_for(tickets, message="ticket from mail\n" + server.log()[-3000:])
    assert (ticket["title"], ticket["source"], ticket["municipality"]) == (
        "Skriveren på rådhuset", "email", "1505"
    )  # fmt: skip

    # 2. The receipt goes out, threaded and marked as automatic.
    def to_kari() -> list[Any]:
        return [m for m in smtp_sink.messages if m["To"] == KARI]

    [receipt] = wait_for(to_kari, message="receipt\n" + server.log()[-3000:])
    assert receipt["Subject"].startswith(f"[{ticket['number']}] ")
    assert receipt["Auto-Submitted"] == "auto-generated"
    assert receipt["Reply-To"] == "servicedesk@it.orkide.example"
    assert receipt["Message-ID"] and receipt["In-Reply-To"]

    # 3. A reply built from the receipt becomes a public comment, quote stripped.
    text = receipt.get_payload(decode=True).decode(receipt.get_content_charset() or "utf-8")
    quoted = "\n".join("> " + line for line in text.splitlines())
    dovecot_server.deliver(
        reply_to(
            receipt,
            KARI,
            "Den virker fortsatt ikke.\n\ntor. 3. des. 2026 kl. 10:00 skrev Servicedesk "
            f"<servicedesk@it.orkide.example>:\n{quoted}\n",
        )
    )

    def comments() -> list[dict[str, Any]]:
        reply = server.request("GET", f"/api/v1/tickets/{ticket['id']}/comments", admin)
        return reply.json["items"]

    [comment] = wait_for(comments, message="comment from reply\n" + server.log()[-3000:])
    assert comment["body"] == "Den virker fortsatt ikke." and comment["internal"] is False

    # 4. An out-of-office answer to the receipt: recorded, nothing else.
    out_of_office = reply_to(receipt, KARI, "Jeg er på ferie til mandag.",
                             **{"Auto-Submitted": "auto-replied"})  # fmt: skip
    dovecot_server.deliver(out_of_office)
    wait_for(lambda: dovecot_server.count("INBOX") == 0 and dovecot_server.count("Processed") == 3,
             message="out-of-office processed")  # fmt: skip
    time.sleep(2)  # a notification would have been sent by now (sender runs every second)
    assert len(tickets()) == 1 and len(comments()) == 1
    assert len(to_kari()) == 1
