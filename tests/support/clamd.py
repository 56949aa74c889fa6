"""A real clamd for tests: started from Debian's clamav-daemon with one local signature.

No signature download: the database directory holds only ``test.hdb``, one
line in ClamAV's MD5 hash-signature format ``MD5:size:name`` for the EICAR
test file (68 bytes), so the daemon starts in a second or two. It listens on
127.0.0.1 at a free port and on a Unix socket in the run's temporary folder.

The ``clamd`` fixture (tests/integration/conftest.py, ``pytest.mark.clamd``)
runs one with ``running_clamd``. Without ``/usr/sbin/clamd``
(or ``CLAMD_BINARY``) the tests skip, except under ``CI=true``, where they
fail: CI must install ``clamav-daemon``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.machine import IN_CI, free_port

# The EICAR anti-virus test file: harmless, and detected by every scanner.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n"


@dataclass(frozen=True)
class Clamd:
    tcp_address: str
    socket_path: str
    log: Path


def _binary() -> str | None:
    configured = os.environ.get("CLAMD_BINARY")
    if configured:
        return configured
    for candidate in ("/usr/sbin/clamd", shutil.which("clamd")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"zPING\0")
            return sock.recv(64).startswith(b"PONG")
    except OSError:
        return False


@contextlib.contextmanager
def running_clamd(home: Path) -> Iterator[Clamd]:
    """A clamd with its database, socket and log in ``home``, stopped on leaving."""
    binary = _binary()
    if binary is None:
        if IN_CI:
            pytest.fail("clamd is required under CI: install Debian's clamav-daemon")
        pytest.skip("clamd not installed (Debian: clamav-daemon); set CI=true to make this fail")
    (home / "db").mkdir()
    (home / "db" / "test.hdb").write_text(EICAR_SIGNATURE)
    port = free_port()
    socket_path = home / "clamd.sock"
    log = home / "clamd.log"
    config = home / "clamd.conf"
    lines = [
        "Foreground yes",
        f"DatabaseDirectory {home / 'db'}",
        "TCPAddr 127.0.0.1",
        f"TCPSocket {port}",
        f"LocalSocket {socket_path}",
        f"LogFile {log}",
        "StreamMaxLength 64M",
    ]
    if os.geteuid() == 0:
        lines.append("User root")  # clamd would otherwise switch to the clamav user
    config.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while not _pong(port):
            if process.poll() is not None or time.monotonic() > deadline:
                detail = log.read_text() if log.exists() else "(no log)"
                pytest.fail(f"clamd did not start (exit {process.returncode}):\n{detail[-2000:]}")
            time.sleep(0.1)
        yield Clamd(f"127.0.0.1:{port}", str(socket_path), log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
