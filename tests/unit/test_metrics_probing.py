"""One HTTP check against local servers: status, body text, redirects, the hard timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from metrics.probing import UNREACHABLE, CheckSpec, check, parse_networks

# The test servers listen on loopback, which probes refuse unless allow-listed.
LOCAL = parse_networks("127.0.0.0/8")


class Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes, float]] = {}

    def do_GET(self) -> None:
        status, headers, body, delay = self.routes.get(self.path, (404, {}, b"", 0))
        if delay:
            time.sleep(delay)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@pytest.fixture
def server() -> Iterator[str]:
    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.routes = {}
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_expected_status_and_body_text_pass(server):
    Handler.routes["/health"] = (200, {}, b"all good", 0)
    result = check(CheckSpec(f"{server}/health", 2, 200, "good", LOCAL))
    assert result.ok and result.status == 200


def test_wrong_status_fails(server):
    Handler.routes["/health"] = (503, {}, b"", 0)
    result = check(CheckSpec(f"{server}/health", 2, allow_networks=LOCAL))
    assert not result.ok and "503" in result.error


def test_missing_body_text_fails(server):
    Handler.routes["/health"] = (200, {}, b"degraded", 0)
    assert not check(CheckSpec(f"{server}/health", 2, 200, "good", LOCAL)).ok


def test_same_host_redirect_is_followed(server):
    Handler.routes["/old"] = (302, {"Location": "/health"}, b"", 0)
    Handler.routes["/health"] = (200, {}, b"ok", 0)
    assert check(CheckSpec(f"{server}/old", 2, allow_networks=LOCAL)).ok


def test_redirect_to_another_host_is_refused(server):
    port = server.rsplit(":", 1)[1]
    # localhost is another host name than 127.0.0.1, even on the same machine.
    Handler.routes["/away"] = (302, {"Location": f"http://localhost:{port}/health"}, b"", 0)
    Handler.routes["/health"] = (200, {}, b"ok", 0)
    result = check(CheckSpec(f"{server}/away", 2, allow_networks=LOCAL))
    assert not result.ok and "redirect to another" in result.error


def test_slow_server_hits_the_hard_timeout(server):
    Handler.routes["/slow"] = (200, {}, b"late", 3)
    started = time.monotonic()
    result = check(CheckSpec(f"{server}/slow", 0.5, allow_networks=LOCAL))
    assert not result.ok and result.error == UNREACHABLE
    assert time.monotonic() - started < 1.5


def test_refused_connection_fails():
    result = check(CheckSpec("http://127.0.0.1:9/", 1, allow_networks=LOCAL))
    assert not result.ok and result.error == UNREACHABLE


def test_non_http_url_is_never_fetched():
    result = check(CheckSpec("file:///etc/passwd", 1))
    assert not result.ok and "http" in result.error


# --- SSRF: what a probe may reach --------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/health",  # loopback
        "http://localhost:{port}/health",  # a name that resolves to loopback
        "http://[::ffff:127.0.0.1]:{port}/health",  # loopback inside IPv6
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://[fe80::1]/",  # IPv6 link-local
        "http://10.0.0.1/",  # RFC 1918
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://[fd00::1]/",  # ULA
        "http://0.0.0.0:{port}/health",  # unspecified
        "http://[::]:{port}/",
        "http://224.0.0.1/",  # multicast
        "http://[ff02::1]/",
        "http://240.0.0.1/",  # reserved
        "http://100.64.0.1/",  # shared address space (carrier NAT)
    ],
)
def test_non_public_targets_are_refused_without_connecting(server, url):
    port = server.rsplit(":", 1)[1]
    Handler.routes["/health"] = (200, {}, b"ok", 0)
    result = check(CheckSpec(url.format(port=port), 1))
    assert not result.ok
    assert "not public" in result.error
    assert result.latency_seconds < 0.5


def test_an_allow_listed_network_may_be_probed(server):
    Handler.routes["/health"] = (200, {}, b"ok", 0)
    assert check(CheckSpec(f"{server}/health", 2, allow_networks=LOCAL)).ok
    other = parse_networks("10.0.0.0/8")
    assert not check(CheckSpec(f"{server}/health", 2, allow_networks=other)).ok


def test_a_name_is_resolved_once_and_the_checked_address_is_connected(server, monkeypatch):
    # The name resolves to loopback (allow-listed here); the Host header keeps the name.
    seen: list[str] = []
    original = Handler.do_GET

    def do_get(self) -> None:
        seen.append(self.headers["Host"])
        original(self)

    monkeypatch.setattr(Handler, "do_GET", do_get)
    import socket

    calls: list[str] = []
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        calls.append(host)
        return real("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    port = server.rsplit(":", 1)[1]
    Handler.routes["/old"] = (302, {"Location": "/health"}, b"", 0)
    Handler.routes["/health"] = (200, {}, b"ok", 0)
    result = check(CheckSpec(f"http://probe-target.example:{port}/old", 2, allow_networks=LOCAL))
    assert result.ok, result.error
    # Resolved once, the redirect hop included (the connection is to the address itself).
    assert [c for c in calls if c == "probe-target.example"] == ["probe-target.example"]
    assert seen == [f"probe-target.example:{port}"] * 2


def test_a_name_with_any_non_public_address_is_refused(monkeypatch):
    import socket

    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    result = check(CheckSpec("http://mixed.example/", 1))
    assert not result.ok and "not public" in result.error


def test_closed_and_silent_ports_give_the_same_error(server):
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(0)  # accepts nothing: a connection waits (like a filtered port)
    try:
        closed = check(CheckSpec("http://127.0.0.1:9/", 0.5, allow_networks=LOCAL))
        Handler.routes["/slow"] = (200, {}, b"late", 3)
        slow = check(CheckSpec(f"{server}/slow", 0.5, allow_networks=LOCAL))
    finally:
        silent.close()
    assert closed.error == slow.error == UNREACHABLE
