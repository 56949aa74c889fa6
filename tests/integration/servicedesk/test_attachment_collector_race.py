"""The collector and an upload of the same content, in real concurrent transactions.

The collector locks a blob's row before deleting it (SKIP LOCKED on
PostgreSQL) and deletes the file before its commit; an upload claims the row
(an upsert, which locks it) before it checks that the bytes are there. Either
order leaves a committed attachment with its bytes on disk. SQLite runs one
writer at a time (BEGIN IMMEDIATE), so there the two cannot interleave at all;
the orders are still checked on both.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import Database, create_db_engine
from service_catalog.municipalities import add_municipality
from servicedesk import filing
from servicedesk.attachments import collection, services
from servicedesk.attachments.models import Attachment, AttachmentBlob
from servicedesk.attachments.storage import LocalBlobStore
from tests.support.desk import HOST, TICKET

pytestmark = pytest.mark.db
DATA = b"skjermbilde som lastes opp igjen"


@pytest.fixture
def world(fresh_database, tmp_path: Path):
    """A ticket whose only attachment was removed: its blob is the collector's to take."""
    engine = create_db_engine(fresh_database)
    database = Database(engine)
    settings = replace(Settings.from_env({}), attachment_dir=str(tmp_path / "blobs"))
    with database.session() as session, session.begin():
        add_municipality(session, SYSTEM, {"number": HOST, "joined_on": date(2019, 1, 1)})
        agent = auth_services.create_user(session, SYSTEM, email="a@orkide.example", role="agent")
        actor = Actor(agent.id, Role.AGENT, None, agent.email)
        new = filing.NewTicket(**TICKET, municipality=HOST)
        ticket = filing.file_ticket(session, actor, new).ticket
        first = services.add_attachment(
            session, actor, ticket.id, filename="a.png", data=DATA, settings=settings
        )
        services.delete_attachment(session, actor, first.id)
        ticket_id = ticket.id
    yield database, settings, actor, ticket_id
    engine.dispose()


def _counts(database: Database) -> tuple[int, int]:
    with database.session() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(Attachment)),
            session.scalar(sa.select(sa.func.count()).select_from(AttachmentBlob)),
        )


def test_an_upload_holding_the_blob_keeps_it_from_the_collector(world, backend):
    database, settings, actor, ticket_id = world
    store = LocalBlobStore(settings.attachment_dir)
    upload = services.prepare_upload(
        filename="b.png", content_type="image/png", data=DATA, settings=settings
    )
    with database.session() as uploading:
        uploading.begin()
        services.add_attachment(uploading, actor, ticket_id, upload=upload, settings=settings)
        if backend.name == "postgresql":
            # The collector meanwhile: the row is locked, so it is skipped.
            with database.session() as collecting, collecting.begin():
                assert collection.collect_unreferenced(collecting, store) == []
        uploading.commit()
    with database.session() as collecting, collecting.begin():
        assert collection.collect_unreferenced(collecting, store) == []
    assert _counts(database) == (1, 1)
    assert store.exists(upload.sha256)


def test_an_upload_after_the_collector_took_the_bytes_writes_them_again(world, backend):
    database, settings, actor, ticket_id = world
    store = LocalBlobStore(settings.attachment_dir)
    upload = services.prepare_upload(
        filename="b.png", content_type="image/png", data=DATA, settings=settings
    )
    collecting = database.session()
    collecting.begin()
    # The collector locked and deleted the row, and unlinked the file, not yet committed.
    assert collection.collect_unreferenced(collecting, store) == [upload.sha256]
    assert not store.exists(upload.sha256)
    done = threading.Event()
    errors: list[BaseException] = []

    def upload_now() -> None:
        try:
            with database.session() as uploading, uploading.begin():
                services.add_attachment(
                    uploading, actor, ticket_id, upload=upload, settings=settings
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=upload_now)
    thread.start()
    # The upload waits for the collector's lock (PostgreSQL: the row; SQLite: the database).
    assert not done.wait(0.5)
    collecting.commit()
    collecting.close()
    thread.join(30)
    assert errors == []
    assert _counts(database) == (1, 1)
    with store.open(upload.sha256) as stream:
        assert stream.read() == DATA
