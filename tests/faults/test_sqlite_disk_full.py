"""SQLite on a full or read-only filesystem: clear problem+json errors, recovery, no corruption.

The database lives on a small tmpfs of its own (mounted by the test, as root):
filling it is a real ENOSPC, remounting it read-only a real EROFS.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from kommune_ikt.core.db import create_db_engine
from tests.support.faults import TICKET, call, member_and_requesters, skip_or_fail

pytestmark = [
    pytest.mark.db,
    pytest.mark.e2e,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]
SIZE = "24m"


def mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A tmpfs of its own; always unmounted at the end."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        skip_or_fail("mounting a small filesystem needs root and mount(8)")
    point = tmp_path / "disk"
    point.mkdir()
    done = mount("-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(point))
    if done.returncode != 0:
        skip_or_fail(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield point
    finally:
        mount("-o", "remount,rw", str(point))
        if subprocess.run(["umount", str(point)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def fill(directory: Path) -> Path:
    """Write a file until the filesystem is full (ENOSPC); return it."""
    filler = directory / "filler"
    chunk = b"\0" * (1 << 20)
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    # Fill the last partial megabyte too.
    with filler.open("ab", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def create(server, token: str, marker: str):
    return call(
        server.base_url, "POST", "/api/v1/tickets", token, {**TICKET, "title": f"Skriver {marker}"}
    )


def assert_clear_problem(answer) -> None:
    assert 400 <= answer.status < 600 and answer.status != 500, (answer.status, answer.body)
    assert answer.content_type == "application/problem+json"
    assert answer.json["status"] == answer.status
    assert answer.json["detail"]


def test_full_then_read_only_disk_gives_clear_errors_and_no_corruption(
    fresh_database, server_factory, small_disk
):
    path = small_disk / "kommune-ikt.sqlite3"
    shutil.copyfile(fresh_database.removeprefix("sqlite:///"), path)
    server = server_factory(DATABASE_URL=f"sqlite:///{path}")
    server.database_url = f"sqlite:///{path}"
    acknowledged: list[str] = []
    server.start(workers=2)
    try:
        token = member_and_requesters(server, 1)[0]
        for _ in range(5):
            marker = uuid.uuid4().hex
            assert create(server, token, marker).status == 201
            acknowledged.append(marker)

        # 1. Disk full: writes refused clearly, reads go on, nothing half-written.
        filler = fill(small_disk)
        refused = [create(server, token, uuid.uuid4().hex) for _ in range(30)]
        for answer in refused:
            assert_clear_problem(answer)
        assert {a.status for a in refused} == {503}, {a.status for a in refused}
        assert "disk is full" in refused[0].json["detail"]
        listed = call(server.base_url, "GET", "/api/v1/tickets", token)
        assert listed.status == 200, listed.body
        # Space again: the same processes write again, no restart.
        filler.unlink()
        marker = uuid.uuid4().hex
        assert create(server, token, marker).status == 201
        acknowledged.append(marker)

        # 2. Read-only filesystem, remounted while the service is stopped (Linux refuses
        # to remount a filesystem with files open for writing). Without its -wal and -shm
        # files SQLite cannot open a WAL database on a read-only disk at all, so every
        # request that needs the database gets a clear 503; once the disk is writable
        # again, the same processes work without a restart.
        server.stop()
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()  # the last connection removes the -wal and -shm files
        assert not Path(f"{path}-wal").exists()
        done = mount("-o", "remount,ro", str(small_disk))
        assert done.returncode == 0, done.stderr
        try:
            server.start(workers=2)
            for _ in range(4):
                for answer in (
                    create(server, token, uuid.uuid4().hex),
                    call(server.base_url, "GET", "/api/v1/tickets", token),
                ):
                    assert_clear_problem(answer)
                    assert answer.status == 503, answer.body
                    assert "cannot be opened" in answer.json["detail"]
            assert call(server.base_url, "GET", "/readyz").status == 503
            assert call(server.base_url, "GET", "/healthz").status == 200
        finally:
            mount("-o", "remount,rw", str(small_disk))
        for _ in range(6):  # every worker, every pooled connection
            marker = uuid.uuid4().hex
            answer = create(server, token, marker)
            assert answer.status == 201, answer.body
            acknowledged.append(marker)
    finally:
        server.stop()

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        titles = [row[0] for row in conn.execute("SELECT title FROM tickets")]
    conn.close()
    assert sorted(titles) == sorted(f"Skriver {m}" for m in acknowledged)


def test_connections_opened_on_a_read_only_disk_read_and_write_again_once_it_is_writable(
    fresh_database, small_disk
):
    path = small_disk / "kommune-ikt.sqlite3"
    shutil.copyfile(fresh_database.removeprefix("sqlite:///"), path)
    # A process that dies with the database open leaves its -wal and -shm files behind,
    # with which SQLite can read a WAL database on a read-only disk.
    subprocess.run(
        [sys.executable, "-c", "import os, sqlite3; c = sqlite3.connect(os.sys.argv[1]); "
         "c.execute('PRAGMA journal_mode = WAL'); c.execute('SELECT 1 FROM users'); os._exit(0)",
         str(path)],
        check=True,
    )  # fmt: skip
    assert Path(f"{path}-shm").exists()
    assert mount("-o", "remount,ro", str(small_disk)).returncode == 0
    engine = create_db_engine(f"sqlite:///{path}")
    insert = "INSERT INTO municipalities (number, name, country, population, population_year, joined_on, sla_policy_set, created_at, updated_at) VALUES ('{}', 'X', 'NO', 1, 2024, '2019-01-01', 'default', '2026-01-01', '2026-01-01')"
    try:
        try:
            with (
                pytest.raises(sa.exc.OperationalError, match="readonly") as refused,
                engine.begin() as conn,
            ):
                conn.exec_driver_sql(insert.format("9001"))
            assert refused.value.orig.sqlite_errorname == "SQLITE_READONLY"
            del refused  # as at the end of a request: the failed statement is let go
            with engine.connect() as conn:  # a new connection, opened read-only
                assert conn.exec_driver_sql("SELECT count(*) FROM users").scalar() == 0
        finally:
            mount("-o", "remount,rw", str(small_disk))
        with engine.begin() as conn:
            conn.exec_driver_sql(insert.format("9002"))
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT number FROM municipalities").scalars().all() == [
                "9002"
            ]
    finally:
        engine.dispose()
