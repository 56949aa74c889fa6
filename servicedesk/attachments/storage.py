"""Content-addressed blob stores: the bytes of attachments, named by their SHA-256.

Two backends behind one small interface (``BlobStore``):

- ``LocalBlobStore`` (``ATTACHMENT_STORE=local``, the default): files under a
  directory (``ATTACHMENT_DIR``, default ``<var>/attachments``), at
  ``ab/cd/abcd…`` by the hash. A write goes to a temporary file in the same
  directory tree, is fsynced, renamed into place atomically and the directory
  fsynced, so a file under its final name always holds its whole content.
- ``DatabaseBlobStore`` (``ATTACHMENT_STORE=database``): the bytes in
  ``attachment_blobs.data`` (bytea on PostgreSQL, BLOB on SQLite), for
  deployments with several application hosts that share no directory. Its
  writes join the caller's transaction.

``transactional`` tells the services which kind they hold: a non-transactional
store is written before the database transaction (the row must never be
visible before its bytes are durable), a transactional one inside it.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kommune_ikt.core.db import table_of
from kommune_ikt.core.types import utcnow
from servicedesk.attachments.models import AttachmentBlob

CHUNK = 1024 * 1024
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
STORES = ("local", "database")
# Temporary files of a write that died (a crash between write and rename) are
# removed by the garbage collector once older than this.
STALE_TEMP_SECONDS = 3600.0


class BlobMissing(LookupError):
    """The store has no bytes under that hash."""


class BlobStore(Protocol):
    """What every backend offers; ``put`` returns the SHA-256 (hex) of what it stored."""

    transactional: bool

    def put(self, data: bytes | BinaryIO) -> str: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...


def check_hash(sha256: str) -> str:
    if not SHA256_HEX.match(sha256):
        raise ValueError(f"not a SHA-256 in hex: {sha256!r}")
    return sha256


def _chunks(data: bytes | BinaryIO) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            yield bytes(view[start : start + CHUNK])
        return
    while chunk := data.read(CHUNK):
        yield chunk


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    """Blobs as files under ``root``, written atomically and durably."""

    transactional = False

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.temp_dir = self.root / "tmp"

    def path(self, sha256: str) -> Path:
        check_hash(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes | BinaryIO) -> str:
        """Write (once) and return the hash. Returns only when the bytes are on disk."""
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, temp_name = tempfile.mkstemp(prefix="put-", dir=self.temp_dir)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(data):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            final = self.path(sha256)
            if final.exists():
                # Already stored: keep the old file, and touch it so the collector's
                # grace period for files without a row starts again.
                os.utime(final)
                temp.unlink()
                return sha256
            self._make_dirs(final.parent)
            os.replace(temp, final)
            _fsync_dir(final.parent)
            return sha256
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def _make_dirs(self, directory: Path) -> None:
        """Create the two levels of prefix folders, fsyncing each parent that got a new entry."""
        missing = []
        walk = directory
        while not walk.exists() and walk != self.root:
            missing.append(walk)
            walk = walk.parent
        for folder in reversed(missing):
            folder.mkdir(exist_ok=True)
            _fsync_dir(folder.parent)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError as exc:
            raise BlobMissing(sha256) from exc

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def delete(self, sha256: str) -> None:
        path = self.path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(path.parent)

    def delete_if_untouched(self, sha256: str, seconds: float) -> bool:
        """Delete the file unless it was written or touched in the last ``seconds``."""
        path = self.path(sha256)
        try:
            if path.stat().st_mtime > time.time() - seconds:
                return False
        except FileNotFoundError:
            return False
        self.delete(sha256)
        return True

    def stored(self, older_than: float = 0.0) -> Iterator[str]:
        """The hashes of the files stored, last modified at least ``older_than`` seconds ago."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - older_than
        for first in self.root.iterdir():
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in first.iterdir():
                if not second.is_dir():
                    continue
                for entry in os.scandir(second):
                    if SHA256_HEX.match(entry.name) and entry.stat().st_mtime <= cutoff:
                        yield entry.name

    def remove_stale_temporaries(self, older_than: float = STALE_TEMP_SECONDS) -> int:
        """Remove what writes that died left behind; returns how many."""
        if not self.temp_dir.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for entry in os.scandir(self.temp_dir):
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
        return removed


_BLOBS = table_of(AttachmentBlob)


def _insert(dialect: str) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(_BLOBS)


class DatabaseBlobStore:
    """Blobs in ``attachment_blobs.data``, written in the caller's transaction."""

    transactional = True

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, data: bytes | BinaryIO) -> str:
        content = bytes(data) if isinstance(data, bytes | bytearray | memoryview) else data.read()
        sha256 = hashlib.sha256(content).hexdigest()
        dialect = self.session.get_bind().dialect.name
        stmt = _insert(dialect).values(
            sha256=sha256, size=len(content), data=content, created_at=utcnow()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[_BLOBS.c.sha256],
            set_={"data": stmt.excluded.data},
            where=_BLOBS.c.data.is_(None),
        )
        self.session.execute(stmt)
        return sha256

    def open(self, sha256: str) -> BinaryIO:
        data = self.session.scalar(sa.select(_BLOBS.c.data).where(_BLOBS.c.sha256 == sha256))
        if data is None:
            raise BlobMissing(sha256)
        return io.BytesIO(data)

    def exists(self, sha256: str) -> bool:
        found = self.session.scalar(
            sa.select(sa.literal(1)).where(_BLOBS.c.sha256 == sha256, _BLOBS.c.data.is_not(None))
        )
        return found is not None

    def delete(self, sha256: str) -> None:
        self.session.execute(sa.delete(_BLOBS).where(_BLOBS.c.sha256 == sha256))


def local_root(settings: Any) -> Path:
    """``ATTACHMENT_DIR``, or ``attachments`` under the var directory."""
    configured = getattr(settings, "attachment_dir", "") or ""
    if configured:
        return Path(configured)
    return Path(os.environ.get("KOMMUNE_IKT_VAR_DIR", "var")).resolve() / "attachments"


def blob_store(settings: Any, session: Session | None = None) -> BlobStore:
    """The store ``ATTACHMENT_STORE`` names; the database store needs the session."""
    kind = (getattr(settings, "attachment_store", "local") or "local").lower()
    if kind == "local":
        return LocalBlobStore(local_root(settings))
    if kind == "database":
        if session is None:
            raise ValueError("the database attachment store needs a session")
        return DatabaseBlobStore(session)
    raise ValueError(f"ATTACHMENT_STORE must be one of {', '.join(STORES)}, not {kind!r}")
