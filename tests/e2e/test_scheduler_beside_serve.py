"""`kommune-ikt serve` runs the scheduler beside gunicorn: a new ticket's mail reaches SMTP."""

from __future__ import annotations

import time

import pytest
from aiosmtpd.controller import Controller

from tests.support.machine import free_port
from tests.support.smtp import Handler

pytestmark = pytest.mark.e2e


def test_ticket_mail_is_sent_by_the_scheduler_that_serve_starts(server_factory):
    handler = Handler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        server = server_factory(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp.port),
            SCHEDULER_EVERY="notifications_send=1",
        )
        server.cli("db", "upgrade")
        admin = server.add_user("admin@orkide.example", "admin")
        server.start(workers=2, extra=())
        joined = server.request("POST", "/api/v1/municipalities", admin, {"number": "1505"})
        assert joined.status == 201, joined.json
        token = server.add_user("kari@kristiansund.kommune.no", "requester", "1505")
        reply = server.request(
            "POST",
            "/api/v1/tickets",
            token,
            {
                "title": "Får ikke skrevet ut lønnsslipp",
                "description": "Utskrift fra lønnssystemet henger.",
                "type": "incident",
                "impact": 2,
                "urgency": 2,
            },
        )
        assert reply.status == 201, reply.json
        number = reply.json["number"]

        def to_kari() -> list:
            return [m for m in handler.messages if m["To"] == "kari@kristiansund.kommune.no"]

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not to_kari():
            time.sleep(0.2)
        assert len(to_kari()) == 1, server.log()[-3000:]
        assert to_kari()[0]["Subject"].startswith(f"[{number}] Vi har mottatt saken din")
    finally:
        smtp.stop()
