"""Mail intake speed: 2 000 mails from a real Dovecot, on SQLite and on PostgreSQL.

    .venv/bin/python bench/mail.py [--mails 2000] [--only sqlite|postgresql]

Per database: a migrated database of its own (SQLite in a temporary directory;
PostgreSQL on the server of TEST_POSTGRES_URL, created and dropped), a member
with a mail domain, a requester and 100 open tickets; a Dovecot of its own
(tests/mailserver.py: needs dovecot-imapd and root) loaded by IMAP APPEND with
``--mails`` mails: a third are replies spread over the tickets (``[INC-...]`` in the
subject), the rest new mails from the member's domain (a new requester account
each ten), a tenth of all carry a 200 KB attachment. Timed: the intake (fetch,
parse, one transaction per mail, IMAP move) until the inbox is empty, as the
scheduler's job runs it, in mails per second. The files go to the attachment
sink when the attachments package is installed, else only their names are kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kommune_ikt import migrate
from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import Database, create_db_engine
from service_catalog.municipalities import add_municipality
from servicedesk import filing
from servicedesk.mail.job import run_intake
from servicedesk.mail.models import MailMessage
from tests.support.mailserver import PASSWORD, mail, start_dovecot

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KARI = "kari@kristiansund.kommune.no"
ATTACHMENT = os.urandom(200 * 1024)
TICKETS = 100  # open tickets the replies are spread over


def messages(count: int, numbers: list[str]) -> list[bytes]:
    out = []
    for i in range(count):
        if i % 3 == 0:
            number = numbers[(i // 3) % len(numbers)]
            message = mail(KARI, f"Re: [{number}] Skriver", f"Svar nummer {i}\n\n> sitat")
        else:
            sender = KARI if i % 10 else f"ansatt{i}@kristiansund.kommune.no"
            message = mail(sender, f"Sak {i}", f"Beskrivelse av sak {i}.\n" * 5)
        if i % 10 == 5:
            message.add_attachment(ATTACHMENT, maintype="application", subtype="octet-stream",
                                   filename=f"logg-{i}.bin")  # fmt: skip
        out.append(message.as_bytes())
    return out


def run(kind: str, count: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="kikt-bench-mail-"))
    admin = None
    if kind == "postgresql":
        name = f"kikt_bench_mail_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    migrate.upgrade(url, "head")
    engine = create_db_engine(url)
    database = Database(engine)
    server = start_dovecot()
    try:
        with database.session() as session, session.begin():
            member = {"number": "1505", "joined_on": dt.date(2020, 1, 1),
                      "email_domains": ["kristiansund.kommune.no"]}  # fmt: skip
            add_municipality(session, SYSTEM, member)
            kari = auth_services.create_user(
                session, SYSTEM, email=KARI, role="requester", municipality="1505"
            )
            numbers = [
                filing.file_ticket(
                    session, Actor(kari.id, Role.REQUESTER, "1505", KARI),
                    filing.NewTicket(title=f"Skriver {n}", description="x", type="incident",
                                     impact=3, urgency=3),
                ).ticket.number
                for n in range(TICKETS)
            ]  # fmt: skip
        raw = messages(count, numbers)
        with server.client() as client:
            for data in raw:
                client.append("INBOX", data)
        settings = Settings(database_url=url, mail_imap_url=server.url,
                            mail_imap_password=PASSWORD, mail_batch=500)  # fmt: skip
        t0 = time.perf_counter()
        totals: dict[str, int] = {}
        while server.count("INBOX"):
            for key, value in run_intake(database, settings).items():
                totals[key] = totals.get(key, 0) + int(value)
        seconds = time.perf_counter() - t0
        with database.session() as session:
            recorded = session.scalar(sa.select(sa.func.count()).select_from(MailMessage))
        assert recorded == count, (recorded, totals)
        figures = {"mails": count, "seconds": seconds, "mails_per_s": count / seconds}
        print(f"{kind:<10} {count} mails in {seconds:6.1f} s: {count / seconds:6.1f} mails/s  "
              f"{totals}")  # fmt: skip
        return figures
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    for kind in [args.only] if args.only else ["sqlite", "postgresql"]:
        run(kind, args.mails)


if __name__ == "__main__":
    main()
