"""Attachments: upload, list, metadata, download; storage, limits, names, visibility, scanning."""

from __future__ import annotations

import io
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from kommune_ikt.core.scheduler.jobs import JobContext
from servicedesk.attachments import jobs, services
from servicedesk.attachments.models import Attachment, AttachmentBlob
from servicedesk.attachments.storage import LocalBlobStore
from tests.support.clamd import EICAR
from tests.support.desk import OTHER

pytestmark = pytest.mark.db

PNG = b"\x89PNG\r\n\x1a\n" + b"skjermbilde av feilmeldingen" * 40


@pytest.fixture
def blob_dir(tmp_path: Path) -> Path:
    return tmp_path / "attachments"


@pytest.fixture
def configure(app, blob_dir: Path, monkeypatch):
    """``configure(attachment_store="database", ...)``: the app's settings for this test."""
    base = app.config["SETTINGS"]

    def apply(**values: Any) -> Any:
        settings = replace(
            base,
            **{"attachment_dir": str(blob_dir), "clamd_address": None, **values},
        )
        monkeypatch.setitem(app.config, "SETTINGS", settings)
        return settings

    apply()
    return apply


def upload(
    desk: Any,
    user: Any,
    ticket_id: int,
    data: bytes = PNG,
    filename: str = "skjermbilde.png",
    content_type: str = "image/png",
    **form: Any,
) -> Any:
    # Encoded in memory: the test client would spool a large body to a temporary
    # file it never closes (a ResourceWarning, which fails the run).
    fields = {"file": FileStorage(io.BytesIO(data), filename, content_type=content_type), **form}
    boundary, body = encode_multipart(fields)
    return desk.client.post(
        f"/api/v1/tickets/{ticket_id}/attachments",
        headers=user.headers,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def attached(desk: Any, user: Any, ticket_id: int, **kw: Any) -> dict[str, Any]:
    response = upload(desk, user, ticket_id, **kw)
    assert response.status_code == 201, response.json
    return response.json


def download(desk: Any, user: Any, attachment_id: int) -> Any:
    return desk.client.get(
        f"/api/v1/attachments/{attachment_id}/content", headers=user.headers, buffered=True
    )


def stored(desk: Any) -> dict[str, int]:
    desk.session.expire_all()
    count = desk.session.scalar
    return {
        "attachments": count(sa.select(sa.func.count()).select_from(Attachment)),
        "blobs": count(sa.select(sa.func.count()).select_from(AttachmentBlob)),
    }


def files_in(root: Path) -> list[Path]:
    """The stored blobs (not the store's own temporary folder)."""
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"
    )


@pytest.fixture
def requester(desk):
    return desk.create_user("requester", "1505")


@pytest.fixture
def agent(desk):
    return desk.create_user("agent")


@pytest.fixture
def ticket(desk, requester) -> dict[str, Any]:
    return desk.ticket(requester)


# --- the round trip ----------------------------------------------------------------


def test_upload_list_read_and_download_on_the_local_store(
    desk, configure, requester, agent, ticket, blob_dir
):
    created = upload(desk, requester, ticket["id"])
    assert created.status_code == 201, created.json
    body = created.json
    assert created.headers["Location"] == f"/api/v1/attachments/{body['id']}"
    assert body["ticket_id"] == ticket["id"]
    assert body["comment_id"] is None
    assert body["filename"] == "skjermbilde.png"
    assert body["content_type"] == "image/png"
    assert body["size"] == len(PNG)
    assert body["internal"] is False
    assert body["uploaded_by"] == requester.id
    assert len(body["sha256"]) == 64
    # Content-addressed: the file is named by its hash, under two prefix folders.
    sha = body["sha256"]
    assert (blob_dir / sha[:2] / sha[2:4] / sha).read_bytes() == PNG

    listed = desk.client.get(f"/api/v1/tickets/{ticket['id']}/attachments", headers=agent.headers)
    assert listed.status_code == 200
    assert listed.json == {"items": [body], "next_cursor": None}
    meta = desk.client.get(f"/api/v1/attachments/{body['id']}", headers=requester.headers)
    assert meta.status_code == 200 and meta.json == body

    content = download(desk, agent, body["id"])
    assert content.status_code == 200
    assert content.data == PNG
    assert content.headers["Content-Type"] == "image/png"
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    assert content.headers["Content-Disposition"] == (
        "attachment; filename=\"skjermbilde.png\"; filename*=UTF-8''skjermbilde.png"
    )
    assert int(content.headers["Content-Length"]) == len(PNG)
    assert "sandbox" in content.headers["Content-Security-Policy"]


def test_a_download_answers_if_none_match_and_range(desk, configure, requester, ticket):
    body = attached(desk, requester, ticket["id"])
    url = f"/api/v1/attachments/{body['id']}/content"
    first = download(desk, requester, body["id"])
    assert first.headers["ETag"] == f'"{body["sha256"]}"'
    again = desk.client.get(
        url, headers={**requester.headers, "If-None-Match": first.headers["ETag"]}, buffered=True
    )
    assert again.status_code == 304 and again.data == b""
    part = desk.client.get(url, headers={**requester.headers, "Range": "bytes=0-7"}, buffered=True)
    assert part.status_code == 206 and part.data == PNG[:8]
    assert part.headers["Content-Range"] == f"bytes 0-7/{len(PNG)}"


def test_the_same_file_twice_is_stored_once(desk, configure, requester, ticket, blob_dir):
    first = attached(desk, requester, ticket["id"])
    other = desk.ticket(requester)
    second = attached(desk, requester, other["id"], filename="kopi.png")
    assert first["sha256"] == second["sha256"]
    assert stored(desk) == {"attachments": 2, "blobs": 1}
    assert len(files_in(blob_dir)) == 1


def test_the_database_store_keeps_the_bytes_in_the_database(
    desk, configure, requester, agent, ticket, blob_dir
):
    configure(attachment_store="database")
    body = attached(desk, requester, ticket["id"])
    again = attached(desk, agent, ticket["id"], filename="igjen.png")
    assert files_in(blob_dir) == []
    data = desk.session.scalar(
        sa.select(AttachmentBlob.data).where(AttachmentBlob.sha256 == body["sha256"])
    )
    assert data == PNG
    assert stored(desk) == {"attachments": 2, "blobs": 1}
    content = download(desk, requester, again["id"])
    assert content.status_code == 200 and content.data == PNG


def test_an_attachment_on_a_comment_follows_the_comment(desk, configure, requester, ticket):
    comment = desk.comment(requester, ticket["id"], "Her er et skjermbilde.").json
    body = attached(desk, requester, ticket["id"], comment_id=str(comment["id"]))
    assert body["comment_id"] == comment["id"] and body["internal"] is False
    history = desk.history(requester, ticket["id"])
    assert history[-1]["field"] == "attachment"
    assert history[-1]["new"] == {"id": body["id"], "filename": "skjermbilde.png"}


# --- names and types -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("faktura\u202egnp.exe", "fakturagnp.exe"),
        ("\u2066rapport\u2069.pdf", "rapport.pdf"),
        ("..", "attachment"),
        ("", "attachment"),
        ("CON.txt", "_CON.txt"),
    ],
)
def test_file_names_are_made_safe(desk, configure, requester, ticket, sent, kept):
    body = attached(desk, requester, ticket["id"], filename=sent, content_type="text/plain")
    assert body["filename"] == kept


def test_a_non_ascii_name_is_offered_in_both_forms(desk, configure, requester, ticket):
    body = attached(desk, requester, ticket["id"], filename="Skjærmbilde på rådhuset.png")
    disposition = download(desk, requester, body["id"]).headers["Content-Disposition"]
    assert disposition == (
        'attachment; filename="Skjaermbilde pa radhuset.png"; '
        "filename*=UTF-8''Skj%C3%A6rmbilde%20p%C3%A5%20r%C3%A5dhuset.png"
    )


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("side.html", "text/html"),
        ("bilde.svg", "image/svg+xml"),
        ("skript.js", "application/javascript"),
        ("data.xml", "text/xml"),
        ("ukjent.bin", "application/x-evil; charset=utf-8"),
    ],
)
def test_risky_types_are_downloaded_as_octet_stream(
    desk, configure, requester, ticket, filename, content_type
):
    data = b"<html><script>alert(document.cookie)</script></html>"
    body = attached(
        desk, requester, ticket["id"], data=data, filename=filename, content_type=content_type
    )
    response = download(desk, requester, body["id"])
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- size ------------------------------------------------------------------------------


def test_a_file_over_the_limit_is_413_and_nothing_is_stored(
    desk, configure, requester, ticket, blob_dir
):
    configure(attachment_max_bytes=1000)
    before = stored(desk)
    response = upload(desk, requester, ticket["id"], data=b"x" * 1001)
    assert response.status_code == 413
    assert response.json["errors"] == {"file": ["An attachment may be at most 1000 bytes."]}
    # Far over: refused on the Content-Length, before the body is read.
    response = upload(desk, requester, ticket["id"], data=b"x" * 200_000)
    assert response.status_code == 413
    assert stored(desk) == before
    assert files_in(blob_dir) == []
    assert upload(desk, requester, ticket["id"], data=b"x" * 1000).status_code == 201


def test_uploads_are_not_held_to_the_json_body_limit(desk, configure, requester, ticket):
    data = os.urandom(3 * 1024 * 1024)
    body = attached(desk, requester, ticket["id"], data=data, filename="logg.zip")
    assert body["size"] == len(data)
    assert download(desk, requester, body["id"]).data == data
    # ... and JSON bodies still are.
    huge = desk.post_ticket(requester, description="x" * (2 * 1024 * 1024))
    assert huge.status_code == 413


def test_a_missing_file_or_bad_comment_id_is_422(desk, configure, requester, ticket):
    url = f"/api/v1/tickets/{ticket['id']}/attachments"
    missing = desk.client.post(url, headers=requester.headers, data={"comment_id": "1"})
    assert missing.status_code == 422 and "file" in missing.json["errors"]
    bad = upload(desk, requester, ticket["id"], comment_id="abc")
    assert bad.status_code == 422 and "comment_id" in bad.json["errors"]
    other = desk.ticket(requester)
    foreign = desk.comment(requester, other["id"], "Annen sak").json
    wrong = upload(desk, requester, ticket["id"], comment_id=str(foreign["id"]))
    assert wrong.status_code == 422 and "comment_id" in wrong.json["errors"]
    assert stored(desk)["attachments"] == 0


def test_a_closed_ticket_takes_no_attachments(desk, configure, requester, ticket):
    desk.change(requester, ticket["id"], status="cancelled")
    assert upload(desk, requester, ticket["id"]).status_code == 409


# --- visibility ------------------------------------------------------------------------


def test_another_municipality_sees_nothing(desk, configure, requester, ticket):
    body = attached(desk, requester, ticket["id"])
    outsiders = [
        desk.create_user("requester", OTHER),
        desk.create_user("orderer", OTHER),
        desk.create_user("requester", "1505"),  # a colleague: requesters see their own only
    ]
    for outsider in outsiders:
        h = outsider.headers
        assert desk.client.get(f"/api/v1/attachments/{body['id']}", headers=h).status_code == 404
        assert download(desk, outsider, body["id"]).status_code == 404
        listed = desk.client.get(f"/api/v1/tickets/{ticket['id']}/attachments", headers=h)
        assert listed.status_code == 404
        assert upload(desk, outsider, ticket["id"]).status_code == 404
    orderer = desk.create_user("orderer", "1505")
    assert download(desk, orderer, body["id"]).status_code == 200


def test_internal_attachments_are_404_for_municipal_roles(
    desk, configure, requester, agent, ticket
):
    note = desk.comment(agent, ticket["id"], "Intern: se loggen.", internal=True).json
    secret = attached(desk, agent, ticket["id"], comment_id=str(note["id"]), filename="logg.txt")
    public = attached(desk, agent, ticket["id"], filename="svar.png")
    assert secret["internal"] is True and public["internal"] is False
    orderer = desk.create_user("orderer", "1505")
    for municipal in (requester, orderer):
        h = municipal.headers
        assert desk.client.get(f"/api/v1/attachments/{secret['id']}", headers=h).status_code == 404
        assert download(desk, municipal, secret["id"]).status_code == 404
        listed = desk.client.get(f"/api/v1/tickets/{ticket['id']}/attachments", headers=h).json
        assert [a["id"] for a in listed["items"]] == [public["id"]]
        # Nor may they attach to the internal comment (it does not exist for them).
        refused = upload(desk, municipal, ticket["id"], comment_id=str(note["id"]))
        assert refused.status_code == 422
    listed = desk.client.get(f"/api/v1/tickets/{ticket['id']}/attachments", headers=agent.headers)
    assert [a["id"] for a in listed.json["items"]] == [secret["id"], public["id"]]
    assert [h["field"] for h in desk.history(requester, ticket["id"])].count("attachment") == 1


def test_forty_attachments_are_listed_in_one_query_and_paged(
    desk, configure, requester, agent, ticket, count_queries
):
    for n in range(40):
        attached(desk, requester, ticket["id"], data=PNG + bytes([n]), filename=f"bilde{n}.png")
    url = f"/api/v1/tickets/{ticket['id']}/attachments"
    with count_queries() as statements:
        response = desk.client.get(url + "?limit=200", headers=agent.headers)
    assert len(response.json["items"]) == 40
    attachment_reads = [s for s in statements if "FROM attachments" in s]
    assert len(attachment_reads) == 1
    # The ticket itself carries none of them.
    shown = desk.get(agent, ticket["id"]).json
    assert "attachments" not in shown
    first = desk.client.get(url + "?limit=25", headers=agent.headers).json
    second = desk.client.get(
        url, headers=agent.headers, query_string={"limit": 25, "cursor": first["next_cursor"]}
    ).json
    ids = [a["id"] for a in first["items"] + second["items"]]
    assert len(ids) == 40 == len(set(ids)) and second["next_cursor"] is None


# --- removal and the collector job -------------------------------------------------


def _job_context(app) -> JobContext:
    return JobContext(app.extensions["kommune_ikt.db"], app.config["SETTINGS"], "test")


@pytest.mark.parametrize("store", ["local", "database"])
def test_the_collector_removes_a_blob_after_its_last_attachment(
    app, desk, configure, requester, agent, ticket, blob_dir, store
):
    configure(attachment_store=store)
    first = attached(desk, requester, ticket["id"])
    second = attached(desk, requester, ticket["id"], filename="kopi.png")
    url = f"/api/v1/attachments/{first['id']}"
    assert desk.client.delete(url, headers=requester.headers).status_code == 403
    assert desk.client.delete(url, headers=agent.headers).status_code == 204
    assert desk.client.get(url, headers=agent.headers).status_code == 404
    # Another attachment still names the content: it stays.
    assert jobs.collect_blobs(_job_context(app))["blobs_removed"] == 0
    assert stored(desk) == {"attachments": 1, "blobs": 1}
    desk.client.delete(f"/api/v1/attachments/{second['id']}", headers=agent.headers)
    # Removing the attachment leaves the bytes to the job (not inline) ...
    assert stored(desk) == {"attachments": 0, "blobs": 1}
    assert len(files_in(blob_dir)) == (1 if store == "local" else 0)
    counts = jobs.collect_blobs(_job_context(app))
    assert counts["blobs_removed"] == 1
    assert stored(desk) == {"attachments": 0, "blobs": 0}
    assert files_in(blob_dir) == []
    assert [h["field"] for h in desk.history(agent, ticket["id"])][-2:] == [
        "attachment_removed",
        "attachment_removed",
    ]


def test_the_collector_removes_old_files_without_a_row_and_stale_temporaries(
    app, desk, configure, blob_dir
):
    store = LocalBlobStore(blob_dir)
    old, fresh = store.put(b"left by a failed upload"), store.put(b"an upload in progress")
    an_hour_ago = time.time() - jobs.ORPHAN_GRACE_SECONDS - 60
    os.utime(store.path(old), (an_hour_ago, an_hour_ago))
    temp = store.temp_dir / "put-crashed"
    temp.write_bytes(b"half")
    os.utime(temp, (an_hour_ago, an_hour_ago))
    counts = jobs.collect_blobs(_job_context(app))
    assert counts == {"blobs_removed": 0, "orphan_files_removed": 1, "temporaries_removed": 1}
    assert not store.exists(old) and store.exists(fresh)


def test_bytes_removed_between_scan_and_row_are_written_again(
    desk, configure, session, requester, ticket, app
):
    """The collector may take a file between phase 1 and the claim: the claim rewrites it."""
    settings = app.config["SETTINGS"]
    prepared = services.prepare_upload(
        filename="a.txt", content_type="text/plain", data=b"hei", settings=settings
    )
    store = LocalBlobStore(settings.attachment_dir)
    store.delete(prepared.sha256)
    attachment = services.add_attachment(
        session, requester.actor, ticket["id"], upload=prepared, settings=settings
    )
    with store.open(attachment.sha256) as stream:
        assert stream.read() == b"hei"


def test_add_attachment_takes_raw_bytes_for_callers_without_a_transaction(
    desk, configure, session, agent, ticket, app
):
    attachment = services.add_attachment(
        session,
        agent.actor,
        ticket["id"],
        filename="../mail/bilde001.png",
        content_type="image/png",
        data=PNG,
        settings=app.config["SETTINGS"],
    )
    session.flush()
    assert attachment.filename == "bilde001.png" and attachment.size == len(PNG)


# --- virus scanning ------------------------------------------------------------------


def test_scanner_down_is_503_and_nothing_is_stored(desk, configure, requester, ticket, blob_dir):
    configure(clamd_address="127.0.0.1:9", clamd_timeout=2.0)  # discard port: refused
    before = stored(desk)
    response = upload(desk, requester, ticket["id"])
    assert response.status_code == 503
    assert stored(desk) == before
    assert files_in(blob_dir) == []


@pytest.mark.clamd
@pytest.mark.parametrize("via", ["tcp", "unix"])
def test_clamd_passes_a_clean_file_and_refuses_eicar(
    desk,
    configure,
    requester,
    ticket,
    blob_dir,
    clamd,
    via,
):
    configure(clamd_address=clamd.tcp_address if via == "tcp" else clamd.socket_path)
    clean = upload(desk, requester, ticket["id"])
    assert clean.status_code == 201, clean.json
    before, files_before = stored(desk), files_in(blob_dir)
    infected = upload(desk, requester, ticket["id"], data=EICAR, filename="eicar.com")
    assert infected.status_code == 422
    assert "Eicar-Test-Signature" in infected.json["errors"]["file"][0]
    assert stored(desk) == before
    assert files_in(blob_dir) == files_before
