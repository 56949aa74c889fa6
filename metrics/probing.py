"""One HTTP(S) check, with no database: status, optional body text, a hard deadline.

Safety rules: only http and https; a redirect is followed only to the same
scheme, host and port (at most three times), never to another host; the body
read is capped; and the whole check, DNS lookup included, is abandoned at its
deadline (the check runs in a worker thread that is simply not waited for).
"""

from __future__ import annotations

import http.client
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

MAX_REDIRECTS = 3
MAX_BODY_BYTES = 1024 * 1024
USER_AGENT = "kommune-ikt-probe/1"
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="probe")


@dataclass(frozen=True)
class CheckSpec:
    url: str
    timeout_seconds: float
    expected_status: int = 200
    body_contains: str | None = None


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
        return CheckResult(False, time.monotonic() - started, None, "timed out")


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
            results.append(CheckResult(False, time.monotonic() - started, None, "timed out"))
    return results


def _check(spec: CheckSpec, deadline: float) -> CheckResult:
    started = time.monotonic()
    try:
        status, body = _fetch(spec.url, deadline)
    except _Refused as exc:
        return CheckResult(False, time.monotonic() - started, None, str(exc))
    except (OSError, http.client.HTTPException, ssl.SSLError, ValueError) as exc:
        message = "timed out" if time.monotonic() >= deadline else f"{type(exc).__name__}: {exc}"
        return CheckResult(False, time.monotonic() - started, None, message[:500])
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


def _fetch(url: str, deadline: float) -> tuple[int, str]:
    origin = _origin(url)
    for _ in range(MAX_REDIRECTS + 1):
        status, location, body = _request(url, deadline)
        if status in (301, 302, 303, 307, 308) and location:
            target = urljoin(url, location)
            if _origin(target) != origin:
                raise _Refused(f"redirect to another host refused ({_origin(target)[1]})")
            url = target
            continue
        return status, body
    raise _Refused("too many redirects")


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Refused("only http(s) URLs are probed")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname.lower(), port


def _request(url: str, deadline: float) -> tuple[int, str | None, str]:
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
