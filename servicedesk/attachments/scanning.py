"""Virus scanning with ClamAV's daemon (clamd), over its INSTREAM command.

``CLAMD_ADDRESS`` is ``host:port`` (``[::1]:3310`` for IPv6, ``tcp://`` allowed)
or the path of clamd's Unix socket (``/run/clamav/clamd.ctl``, ``unix://``
allowed). The scanner fails closed: a file is stored only after clamd said
``OK``; anything else is ``Infected`` (422) or ``ScannerUnavailable`` (503).

Protocol (clamd(8)): ``zINSTREAM\\0``, then chunks each prefixed with its length
as a 4-byte big-endian integer, then a zero length; the answer is one
NUL-terminated line, ``stream: OK``, ``stream: <signature> FOUND`` or
``... ERROR``. clamd refuses streams longer than its ``StreamMaxLength``
(default 25 MiB): keep it at least ``ATTACHMENT_MAX_BYTES``.
"""

from __future__ import annotations

import logging
import socket
import struct
from dataclasses import dataclass
from typing import Any, Protocol

from kommune_ikt.core.errors import ServiceUnavailable, ValidationFailed
from kommune_ikt.core.messages import N_

log = logging.getLogger(__name__)
CHUNK = 256 * 1024
MAX_REPLY = 4096


class Infected(ValidationFailed):
    """The scanner found something: the file is refused (422) and nothing is stored."""

    def __init__(self, signature: str) -> None:
        message = N_("The file was refused by the virus scanner (%(signature)s).")
        super().__init__("file", message, params={"signature": signature}, signature=signature)
        self.signature = signature


class ScannerUnavailable(ServiceUnavailable):
    """A scanner is configured but did not give a verdict (503); nothing is stored."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            N_("The virus scanner is not available, so no file can be accepted now; retry later.")
        )
        self.reason = reason


class Scanner(Protocol):
    def scan(self, data: bytes) -> None:
        """Return when the data is clean; raise ``Infected`` or ``ScannerUnavailable``."""


@dataclass(frozen=True)
class ClamdScanner:
    address: str
    timeout: float = 30.0

    def _connect(self) -> socket.socket:
        family, target = parse_address(self.address)
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(target)
        except BaseException:
            sock.close()
            raise
        return sock

    def scan(self, data: bytes) -> None:
        try:
            with self._connect() as sock:
                reply = self._instream(sock, data)
        except (OSError, ValueError) as exc:  # refused, unreachable, timed out, misconfigured
            log.error("virus scanner unavailable (clamd at %s): %s", self.address, exc)
            raise ScannerUnavailable(f"clamd at {self.address}: {exc}") from exc
        try:
            verdict = interpret(reply)
        except ScannerUnavailable:
            log.error("virus scanner gave no verdict (clamd at %s): %r", self.address, reply)
            raise
        if verdict is not None:
            log.warning("virus scanner refused an upload of %d bytes: %s", len(data), verdict)
            raise Infected(verdict)

    def _instream(self, sock: socket.socket, data: bytes) -> str:
        view = memoryview(data)
        try:
            sock.sendall(b"zINSTREAM\0")
            for start in range(0, len(view), CHUNK):
                chunk = view[start : start + CHUNK]
                sock.sendall(struct.pack("!I", len(chunk)) + chunk)
            sock.sendall(struct.pack("!I", 0))
        except (BrokenPipeError, ConnectionResetError):
            # clamd hangs up on a stream over its size limit, after saying why.
            pass
        return _read_reply(sock)

    def ping(self) -> bool:
        try:
            with self._connect() as sock:
                sock.sendall(b"zPING\0")
                return _read_reply(sock) == "PONG"
        except OSError:
            return False


def _read_reply(sock: socket.socket) -> str:
    received = b""
    while b"\0" not in received and len(received) < MAX_REPLY:
        part = sock.recv(MAX_REPLY)
        if not part:
            break
        received += part
    return received.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def interpret(reply: str) -> str | None:
    """None for a clean file, the signature name for an infected one; anything else
    (an error, an empty or unknown answer) is ``ScannerUnavailable``: fail closed."""
    if reply.endswith("FOUND"):
        found = reply.removesuffix("FOUND").strip()
        _, _, signature = found.rpartition(": ")
        return signature or found or "unknown"
    if reply.endswith(": OK"):
        return None
    raise ScannerUnavailable(f"clamd answered {reply!r}")


def parse_address(address: str) -> tuple[int, Any]:
    """(socket family, connect target) of ``CLAMD_ADDRESS``."""
    value = address.strip()
    if value.startswith("unix://"):
        return socket.AF_UNIX, value.removeprefix("unix://")
    if value.startswith("/"):
        return socket.AF_UNIX, value
    value = value.removeprefix("tcp://")
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"CLAMD_ADDRESS must be host:port or a socket path, not {address!r}")
    host = host.removeprefix("[").removesuffix("]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if family == socket.AF_INET and not host.replace(".", "").isdigit():
        # A host name: let getaddrinfo pick the family.
        info = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
        family, _, _, _, target = info[0]
        return family, target
    return family, (host, int(port))


def scanner_for(settings: Any) -> Scanner | None:
    """The scanner ``CLAMD_ADDRESS`` configures, or None when none is."""
    address = getattr(settings, "clamd_address", None)
    if not address:
        return None
    return ClamdScanner(address, float(getattr(settings, "clamd_timeout", 30.0)))
