"""A real Dovecot IMAP server of the test's own, on a free port, and mail to deliver to it.

Each server is a ``dovecot -F -c <config>`` process with its own base, state
and mail directories, a passwd-file user database with plain passwords, and
mailboxes owned by the unprivileged mail user ``vmail`` (``MAIL_USER``).
Dovecot itself needs its ``dovecot`` and ``dovenull`` system users (Debian's
``dovecot-imapd`` package creates them). Mail is delivered with IMAP APPEND.

Missing Dovecot skips the test, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from kommune_ikt.core.config import Settings
from tests.support.machine import IN_CI, free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
MAIL_USER = os.environ.get("TEST_MAIL_USER", "vmail")
DESK = "servicedesk@it.orkide.example"
PASSWORD = "desk-secret"
# A requester in Kristiansund, whose mail domain the intake tests register.
KARI = "kari@kristiansund.kommune.no"


def dovecot_missing() -> str | None:
    if not Path(DOVECOT).exists():
        return "dovecot is not installed (apt-get install dovecot-imapd)"
    for name in ("dovecot", "dovenull", MAIL_USER):
        try:
            pwd.getpwnam(name)
        except KeyError:
            return f"system user {name!r} is missing"
    if os.geteuid() != 0:
        return "Dovecot test servers are started as root (they drop to their own users)"
    return None


def require_dovecot() -> None:
    problem = dovecot_missing()
    if problem:
        if IN_CI:
            pytest.fail(f"Dovecot is required under CI: {problem}")
        pytest.skip(problem)


@dataclass
class Dovecot:
    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    user: str = DESK
    password: str = PASSWORD

    @property
    def url(self) -> str:
        return f"imap://{self.user.replace('@', '%40')}@127.0.0.1:{self.port}/INBOX"

    def start(self) -> None:
        account = pwd.getpwnam(MAIL_USER)
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chown(self.root / "mail", account.pw_uid, account.pw_gid)
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        (self.root / "dovecot.conf").write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
info_log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{self.root}/mail/%u
mail_uid = {account.pw_uid}
mail_gid = {account.pw_gid}
first_valid_uid = {account.pw_uid}
last_valid_uid = {account.pw_uid}
first_valid_gid = {account.pw_gid}
last_valid_gid = {account.pw_gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={account.pw_uid} gid={account.pw_gid} home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0600
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
"""
        )
        with open(self.root / "stdout.log", "ab") as log:
            self.process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not listen within 20 s\n" + self.log())

    def log(self) -> str:
        out = ""
        for name in ("stdout.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                out += path.read_text(errors="replace")[-3000:]
        return out

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(self.user, self.password)
        return client

    def deliver(self, *messages: bytes | EmailMessage, folder: str = "INBOX") -> None:
        with self.client() as client:
            for message in messages:
                data = message if isinstance(message, bytes) else message.as_bytes()
                client.append(folder, data)

    def count(self, folder: str = "INBOX") -> int:
        with self.client() as client:
            if not client.folder_exists(folder):
                return 0
            return int(client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"])

    def messages(self, folder: str) -> list[bytes]:
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            data = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [bytes(data[u][b"BODY[]"]) for u in sorted(data)]


def start_dovecot() -> Dovecot:
    require_dovecot()
    root = Path(tempfile.mkdtemp(prefix="kikt-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root, free_port())
    server.start()
    return server


def mail(
    sender: str = "kari@kristiansund.kommune.no",
    subject: str = "Skriveren virker ikke",
    body: str = "Skriveren på 2. etasje skriver ikke ut.",
    *,
    to: str = DESK,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> EmailMessage:
    """A plain mail as a person's client would send it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate()
    message["Message-ID"] = message_id or make_msgid(domain="client.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def reply_to(sent: Any, sender: str, body: str, **headers: str) -> EmailMessage:
    """A reply to ``sent`` (a message the service sent), as a mail client builds it."""
    subject = " ".join(str(make_header(decode_header(str(sent["Subject"])))).split())
    message = mail(sender, "Re: " + subject, body, headers=headers)
    message["In-Reply-To"] = str(sent["Message-ID"])
    message["References"] = " ".join(f"{sent.get('References') or ''} {sent['Message-ID']}".split())
    return message


def settings_for(server: Any, **kw: Any) -> Settings:
    """The intake's settings for reading the desk's mailbox on ``server``."""
    return Settings(
        database_url="unused", mail_imap_url=server.url, mail_imap_password=PASSWORD, **kw
    )
