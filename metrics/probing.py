"""One HTTP(S) check, with no database: status, optional body text, a hard deadline.

Safety rules (a probe must not be a tool for reaching what the service can reach
and its users cannot):

- only http and https; no credentials in the URL;
- the target's address must be public: loopback, link-local (cloud metadata),
  private (RFC 1918, ULA), shared, unspecified, multicast and reserved addresses
  are refused unless an operator allow-lists their network
  (``PROBE_ALLOW_NETWORKS``, comma-separated CIDRs);
- the host name is resolved once per check, every address it resolves to must
  pass, and the connection goes to that checked address (the Host header and
  TLS SNI/certificate check still use the name), so DNS cannot answer
  differently between the check and the connection (rebinding);
- a redirect is followed only to the same scheme, host and port (at most three
  times), over the same checked address; a redirect elsewhere fails the check;
- errors say "unreachable", never which socket error it was, so a probe cannot
  tell an open port from a closed or filtered one;
- the body read is capped; and the whole check, DNS lookup included, is
  abandoned at its deadline (the check runs in a worker thread that is simply
  not waited for).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

MAX_REDIRECTS = 3
MAX_BODY_BYTES = 1024 * 1024
USER_AGENT = "kommune-ikt-probe/1"
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="probe")
UNREACHABLE = "unreachable (no answer within the timeout, or the connection failed)"
NOT_ALLOWED = (
    "the target's address is not public (loopback, link-local, private, multicast or "
    "reserved); an operator may allow its network with PROBE_ALLOW_NETWORKS"
)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(text: str | None) -> tuple[Network, ...]:
    """``PROBE_ALLOW_NETWORKS``: comma-separated CIDRs (``127.0.0.0/8, fd00::/8``)."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in (text or "").split(",")
        if part.strip()
    )


def address_allowed(address: Address, allow: Iterable[Network] = ()) -> bool:
    """True for a public unicast address, or one inside an allow-listed network."""
    if any(address.version == net.version and address in net for net in allow):
        return True
    candidates: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one reaches that IPv4 host: judge both.
        for embedded in (address.ipv4_mapped, address.sixtofour):
            if embedded is not None:
                candidates.append(embedded)
        if address.ipv4_mapped is not None and any(
            address.ipv4_mapped in net for net in allow if net.version == 4
        ):
            return True
    return all(
        a.is_global and not (a.is_multicast or a.is_reserved or a.is_link_local) for a in candidates
    )


def literal_host_refused(url: str, allow: Iterable[Network] = ()) -> str | None:
    """Why ``url`` may never be probed, decided without DNS (at creation); None if it may be.

    An address written in the URL is judged as at probe time; ``localhost`` and
    ``*.localhost`` always mean loopback (RFC 6761). Other names are resolved and
    judged at every run, as their DNS answers may change.
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            address = ipaddress.ip_address("127.0.0.1")
        else:
            return None
    return None if address_allowed(address, allow) else NOT_ALLOWED


@dataclass(frozen=True)
class CheckSpec:
    url: str
    timeout_seconds: float
    expected_status: int = 200
    body_contains: str | None = None
    # Networks an operator allowed although they are not public (PROBE_ALLOW_NETWORKS).
    allow_networks: tuple[Network, ...] = field(default=())


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency_seconds: float
    status: int | None = None
    error: str | None = None


def check(spec: CheckSpec) -> CheckResult:
    """Run one check; never raises, never takes (much) longer than its timeout."""
    started = time.monotonic()
    future = _POOL.submit(_check, spec, started + spec.timeout_seconds)
    try:
        return future.result(timeout=spec.timeout_seconds + 0.5)
    except FutureTimeout:
        return CheckResult(False, time.monotonic() - started, None, UNREACHABLE)


def check_many(specs: list[CheckSpec]) -> list[CheckResult]:
    """Checks side by side; each keeps its own deadline."""
    started = time.monotonic()
    futures = [_POOL.submit(_check, s, started + s.timeout_seconds) for s in specs]
    results = []
    for spec, future in zip(specs, futures, strict=True):
        remaining = started + spec.timeout_seconds + 0.5 - time.monotonic()
        try:
            results.append(future.result(timeout=max(remaining, 0.01)))
        except FutureTimeout:
            results.append(CheckResult(False, time.monotonic() - started, None, UNREACHABLE))
    return results


def _check(spec: CheckSpec, deadline: float) -> CheckResult:
    started = time.monotonic()
    try:
        status, body = _fetch(spec.url, deadline, spec.allow_networks)
    except _Refused as exc:
        return CheckResult(False, time.monotonic() - started, None, str(exc))
    except (OSError, http.client.HTTPException, ssl.SSLError, ValueError, UnicodeError):
        # Never the socket's own words: "refused" vs "timed out" tells open ports apart.
        return CheckResult(False, time.monotonic() - started, None, UNREACHABLE)
    latency = time.monotonic() - started
    if status != spec.expected_status:
        return CheckResult(
            False, latency, status, f"status {status}, expected {spec.expected_status}"
        )
    if spec.body_contains is not None and spec.body_contains not in body:
        return CheckResult(False, latency, status, "expected text not in the body")
    return CheckResult(True, latency, status)


class _Refused(Exception):
    pass


def _fetch(url: str, deadline: float, allow: tuple[Network, ...]) -> tuple[int, str]:
    origin = _origin(url)
    address = _resolve(origin[1], origin[2], allow)
    for _ in range(MAX_REDIRECTS + 1):
        status, location, body = _request(url, deadline, address)
        if status in (301, 302, 303, 307, 308) and location:
            target = urljoin(url, location)
            if _origin(target) != origin:
                raise _Refused("redirect to another scheme, host or port refused")
            url = target
            continue
        return status, body
    raise _Refused("too many redirects")


def _resolve(host: str, port: int, allow: tuple[Network, ...]) -> str:
    """The one address a check connects to: every address of ``host`` must be allowed."""
    try:
        literal: Address | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise _Refused("unreachable (the name does not resolve)")
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:
            raise _Refused("unreachable (the name does not resolve)")
    if not all(address_allowed(a, allow) for a in addresses):
        raise _Refused(NOT_ALLOWED)
    return str(addresses[0])


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Refused("only http(s) URLs are probed")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname.lower(), port


def _request(url: str, deadline: float, address: str) -> tuple[int, str | None, str]:
    scheme, host, port = _origin(url)
    parts = urlsplit(url)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("timed out")
    conn: http.client.HTTPConnection
    if scheme == "https":
        conn = http.client.HTTPSConnection(
            host, port, timeout=remaining, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(host, port, timeout=remaining)
    # Connect to the checked address; the name stays the connection's host, so the
    # Host header and TLS (SNI, certificate name) are those of the URL.
    conn._create_connection = lambda _addr, timeout, source: socket.create_connection(  # type: ignore[attr-defined]
        (address, port), timeout, source
    )
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Connection": "close"})
        response = conn.getresponse()
        chunks: list[bytes] = []
        size = 0
        while size < MAX_BODY_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("timed out")
            if conn.sock is not None:
                conn.sock.settimeout(remaining)
            chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        body = b"".join(chunks)[:MAX_BODY_BYTES].decode("utf-8", errors="replace")
        return response.status, response.getheader("Location"), body
    finally:
        conn.close()
