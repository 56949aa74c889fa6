"""The intake against a real Dovecot: every mail handled once, moved after its commit."""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM
from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import Database, create_db_engine
from service_catalog.models import Municipality
from service_catalog.municipalities import add_municipality
from servicedesk.mail import imap
from servicedesk.mail.job import check, run_intake
from servicedesk.mail.models import MailMessage
from servicedesk.models import Ticket, TicketComment
from tests.support.mailserver import KARI, PASSWORD, mail, settings_for

pytestmark = [pytest.mark.db, pytest.mark.mail]


@pytest.fixture
def desk(fresh_database, dovecot_server):
    """A database with Kristiansund (and its mail domain) and an emptied mailbox."""
    engine = create_db_engine(fresh_database)
    database = Database(engine)
    with database.session() as session, session.begin():
        add_municipality(
            session,
            SYSTEM,
            {"number": "1505", "joined_on": dt.date(2020, 1, 1),
             "email_domains": ["kristiansund.kommune.no"]},
        )  # fmt: skip
        auth_services.create_user(
            session, SYSTEM, email=KARI, role="requester", municipality="1505"
        )
    with dovecot_server.client() as client:
        for folder in ("INBOX", imap.PROCESSED, imap.QUARANTINE):
            if client.folder_exists(folder):
                client.select_folder(folder)
                uids = client.search("ALL")
                if uids:
                    client.delete_messages(uids)
                    client.expunge()
    yield database
    engine.dispose()


def counts(database: Database) -> tuple[int, int, int]:
    with database.session() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(Ticket)),
            session.scalar(sa.select(sa.func.count()).select_from(TicketComment)),
            session.scalar(sa.select(sa.func.count()).select_from(MailMessage)),
        )


def test_mail_becomes_a_ticket_and_moves_to_processed(desk, dovecot_server):
    dovecot_server.deliver(mail(KARI, "Skriver", "Virker ikke"))
    result = run_intake(desk, settings_for(dovecot_server))
    assert result == {"new": 1}
    assert counts(desk)[0] == 1
    assert dovecot_server.count("INBOX") == 0 and dovecot_server.count(imap.PROCESSED) == 1
    # Nothing waits: a second run does nothing.
    assert run_intake(desk, settings_for(dovecot_server)) == {}


def test_crash_between_commit_and_move_is_a_no_op_then_moved(desk, dovecot_server):
    dovecot_server.deliver(mail(KARI, "A", "a"), mail(KARI, "B", "b"))

    class Crash(Exception):
        pass

    def die(uid: int) -> None:
        raise Crash

    with pytest.raises(Crash):
        run_intake(desk, settings_for(dovecot_server), on_committed=die)
    # The first mail's effect is committed, but it is still in the INBOX.
    assert counts(desk)[0] == 1 and dovecot_server.count("INBOX") == 2
    result = run_intake(desk, settings_for(dovecot_server))
    assert result == {"duplicate": 1, "new": 1}
    assert counts(desk)[0] == 2 and dovecot_server.count(imap.PROCESSED) == 2


def test_a_mail_over_the_size_limit_is_quarantined_without_being_fetched(desk, dovecot_server):
    big = mail(KARI, "Stor", "x")
    big.add_attachment(b"\0" * 3_000_000, maintype="application", subtype="octet-stream",
                       filename="big.bin")  # fmt: skip
    dovecot_server.deliver(big, mail(KARI, "Liten", "y"))
    fetched: list[list[int]] = []

    class Spy(imap.Mailbox):
        def fetch(self, uids):
            fetched.append(list(uids))
            return super().fetch(uids)

    result = run_intake(desk, settings_for(dovecot_server, mail_max_bytes=1_000_000),
                        mailbox_factory=Spy)  # fmt: skip
    assert result == {"quarantine": 1, "new": 1}
    assert sum(len(f) for f in fetched) == 1
    with desk.session() as session:
        record = session.scalar(sa.select(MailMessage).where(MailMessage.outcome == "quarantined"))
    assert "too large" in record.reason and record.raw is None and record.subject == "Stor"
    assert dovecot_server.count(imap.QUARANTINE) == 1


def test_forty_megabytes_is_quarantined_by_default(desk, dovecot_server):
    big = mail(KARI, "40 MB", "x")
    big.add_attachment(b"\1" * 30_000_000, maintype="application", subtype="octet-stream",
                       filename="big.bin")  # fmt: skip
    dovecot_server.deliver(big)
    assert run_intake(desk, settings_for(dovecot_server)) == {"quarantine": 1}
    assert counts(desk)[0] == 0


def test_one_failing_mail_is_quarantined_and_the_rest_go_on(desk, dovecot_server):
    bad = mail(KARI, "Vedlegg", "se vedlegg")
    bad.add_attachment(b"X5O!P%@AP", maintype="application", subtype="zip", filename="virus.zip")
    dovecot_server.deliver(bad, mail(KARI, "Neste", "ok"))

    class Scanner:
        def prepare(self, file):
            raise RuntimeError(f"{file.filename} is infected")

        def add(self, *args, **kw):
            raise AssertionError("never stored")

    result = run_intake(desk, settings_for(dovecot_server), sink=Scanner())
    assert result == {"quarantine": 1, "new": 1}
    with desk.session() as session:
        record = session.scalar(sa.select(MailMessage).where(MailMessage.outcome == "quarantined"))
        tickets = list(session.scalars(sa.select(Ticket.title)))
    assert "virus.zip is infected" in record.reason
    assert tickets == ["Neste"]


def test_scanner_down_leaves_the_mail_for_the_next_run(desk, dovecot_server):
    with_file = mail(KARI, "Vedlegg", "se vedlegg")
    with_file.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="a.pdf")
    dovecot_server.deliver(with_file)

    class Down(Exception):
        status = 503

    class Sink:
        down = True
        stored: list[str] = []

        def prepare(self, file):
            if self.down:
                raise Down("clamd unreachable")
            return file

        def add(self, session, actor, ticket_id, file, *, comment_id=None):
            self.stored.append(file.filename)

    sink = Sink()
    assert run_intake(desk, settings_for(dovecot_server), sink=sink) == {"retry": 1}
    assert counts(desk) == (0, 0, 0) and dovecot_server.count("INBOX") == 1
    sink.down = False
    assert run_intake(desk, settings_for(dovecot_server), sink=sink) == {"new": 1}
    assert sink.stored == ["a.pdf"] and dovecot_server.count(imap.PROCESSED) == 1


def test_malformed_mime_and_zip_bomb_nesting_do_not_stop_the_intake(desk, dovecot_server):
    nested = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    deep = b"".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
        for i in range(40)
    )
    bomb = (
        f"From: {KARI}\r\nSubject: bomb\r\nMessage-ID: <bomb@x>\r\nMIME-Version: 1.0\r\n".encode()
        + nested
        + deep
    )
    broken = (
        f"From: {KARI}\r\nSubject: =?utf-8?b?broken\r\nMessage-ID: <broken@x>\r\n"
        "Content-Type: multipart/mixed\r\n\r\nno boundary at all\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n!!!notbase64"
    ).encode()
    dovecot_server.deliver(bomb, broken, mail(KARI, "Vanlig", "ok"))
    result = run_intake(desk, settings_for(dovecot_server))
    assert result["quarantine"] == 1 and result["new"] == 2
    with desk.session() as session:
        reason = session.scalar(
            sa.select(MailMessage.reason).where(MailMessage.message_id == "<bomb@x>")
        )
    assert "nested deeper" in reason
    assert dovecot_server.count("INBOX") == 0


def test_mail_check_reports_and_changes_nothing(desk, dovecot_server):
    dovecot_server.deliver(
        mail(KARI, "Ny", "x"),
        mail("ukjent@gmail.example", "Hei", "x"),
        mail(KARI, "Borte", "x", headers={"Auto-Submitted": "auto-replied"}),
    )
    report = check(desk, settings_for(dovecot_server))
    assert [d.action for _, _, d in report] == ["new", "quarantine", "automatic"]
    assert counts(desk) == (0, 0, 0) and dovecot_server.count("INBOX") == 3


class _TokenEndpoint(BaseHTTPRequestHandler):
    seen: list[dict[str, list[str]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = parse_qs(self.rfile.read(length).decode())
        type(self).seen.append({"path": [self.path], **form})
        ok = form.get("client_secret") == ["s3cret"]
        body = b'{"access_token": "tok-123", "token_type": "Bearer", "expires_in": 3599}'
        if not ok:
            body = b'{"error": "invalid_client", "error_description": "AADSTS7000215: bad secret"}'
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_oauth2_client_credentials_token_exchange():
    server = HTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/{{tenant}}/oauth2/v2.0/token"
        settings = Settings(
            database_url="unused",
            mail_imap_oauth2_tenant="orkide-tenant",
            mail_imap_oauth2_client_id="app-id",
            mail_imap_oauth2_client_secret="s3cret",
            mail_imap_oauth2_token_url=base,
        )
        assert imap.oauth2_token(settings) == "tok-123"
        seen = _TokenEndpoint.seen[-1]
        assert seen["path"] == ["/orkide-tenant/oauth2/v2.0/token"]
        assert seen["grant_type"] == ["client_credentials"]
        assert seen["scope"] == ["https://outlook.office365.com/.default"]
        wrong = Settings(**{**settings.__dict__, "mail_imap_oauth2_client_secret": "nope"})
        with pytest.raises(imap.MailConfigError, match="AADSTS7000215"):
            imap.oauth2_token(wrong)
    finally:
        server.shutdown()
        server.server_close()


def test_mailbox_url_is_parsed():
    url = imap.MailboxUrl.parse("imaps://servicedesk%40it.example@imap.example:993/INBOX")
    assert (url.tls, url.host, url.port, url.user, url.folder) == (
        True, "imap.example", 993, "servicedesk@it.example", "INBOX"
    )  # fmt: skip
    assert imap.MailboxUrl.parse("imap://u%40x.example@localhost").folder == "INBOX"
    assert imap.MailboxUrl.parse("imap://u%40x.example@localhost").port == 143
    with pytest.raises(imap.MailConfigError):
        imap.MailboxUrl.parse("http://x@y/")


def test_the_municipality_keeps_its_domains(desk):
    with desk.session() as session:
        assert session.get(Municipality, "1505").email_domains == ["kristiansund.kommune.no"]


def test_kommune_ikt_mail_check_prints_what_it_would_do(desk, dovecot_server, fresh_database):
    import os
    import subprocess
    import sys
    from pathlib import Path

    dovecot_server.deliver(mail(KARI, "Skriver", "x"), mail("ukjent@gmail.example", "Hei", "x"))
    env = {**os.environ, "DATABASE_URL": fresh_database, "MAIL_IMAP_URL": dovecot_server.url,
           "MAIL_IMAP_PASSWORD": PASSWORD}  # fmt: skip
    cli = str(Path(sys.executable).parent / "kommune-ikt")
    done = subprocess.run([cli, "mail", "check"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 mail(s) waiting" in done.stdout
    assert "-> new: new ticket from requester kari@kristiansund.kommune.no" in done.stdout
    assert "-> quarantine: unknown sender ukjent@gmail.example" in done.stdout
    assert counts(desk) == (0, 0, 0) and dovecot_server.count("INBOX") == 2
    wrong = subprocess.run([cli, "mail", "check"], env={**env, "MAIL_IMAP_PASSWORD": "nope"},
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert wrong.returncode != 0 and "cannot read the mailbox" in wrong.stderr
    off = subprocess.run([cli, "mail", "check"], env={**env, "MAIL_IMAP_URL": ""},
                         capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert off.returncode != 0 and "MAIL_IMAP_URL is not set" in off.stderr
