"""A mail's inline and attached files become attachments (once servicedesk.attachments is in)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM
from kommune_ikt.core.db import Database, create_db_engine
from service_catalog.municipalities import add_municipality
from servicedesk.mail.job import default_sink, run_intake
from servicedesk.models import Ticket
from tests.support.mailserver import KARI, mail, settings_for

attachment_models = pytest.importorskip("servicedesk.attachments.models")
pytestmark = [pytest.mark.db, pytest.mark.mail]


def test_inline_and_attached_files_are_stored_on_the_ticket(
    fresh_database, dovecot_server, tmp_path
):
    engine = create_db_engine(fresh_database)
    database = Database(engine)
    with database.session() as session, session.begin():
        add_municipality(session, SYSTEM, {"number": "1505", "joined_on": dt.date(2020, 1, 1)})
        auth_services.create_user(session, SYSTEM, email=KARI, role="requester",
                                  municipality="1505")  # fmt: skip
    message = mail(KARI, "Skjermbilde", "Se bildet")
    message.add_alternative("<p>Se bildet</p><img src='cid:i1'>", subtype="html")
    message.get_payload()[1].add_related(b"\x89PNG-bytes", maintype="image", subtype="png",
                                         cid="<i1>")  # fmt: skip
    message.add_attachment(os.urandom(2048), maintype="application", subtype="pdf",
                           filename="../../etc/passwd\u202efdp.pdf")  # fmt: skip
    dovecot_server.deliver(message)
    settings = settings_for(dovecot_server, attachment_dir=str(tmp_path / "blobs"))
    assert default_sink(settings) is not None
    try:
        assert run_intake(database, settings) == {"new": 1}
        Attachment = attachment_models.Attachment
        with database.session() as session:
            ticket = session.scalar(sa.select(Ticket))
            rows = list(session.scalars(sa.select(Attachment).order_by(Attachment.id)))
        assert [(a.ticket_id, a.comment_id, a.content_type) for a in rows] == [
            (ticket.id, None, "image/png"), (ticket.id, None, "application/pdf")
        ]  # fmt: skip
        assert "/" not in rows[1].filename and "\u202e" not in rows[1].filename
        assert all(a.uploaded_by == ticket.requester_id for a in rows)
    finally:
        engine.dispose()
