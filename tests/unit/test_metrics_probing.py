"""One HTTP check against local servers: status, body text, redirects, the hard timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from metrics.probing import CheckSpec, check


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
    result = check(CheckSpec(f"{server}/health", 2, 200, "good"))
    assert result.ok and result.status == 200


def test_wrong_status_fails(server):
    Handler.routes["/health"] = (503, {}, b"", 0)
    result = check(CheckSpec(f"{server}/health", 2))
    assert not result.ok and "503" in result.error


def test_missing_body_text_fails(server):
    Handler.routes["/health"] = (200, {}, b"degraded", 0)
    assert not check(CheckSpec(f"{server}/health", 2, 200, "good")).ok


def test_same_host_redirect_is_followed(server):
    Handler.routes["/old"] = (302, {"Location": "/health"}, b"", 0)
    Handler.routes["/health"] = (200, {}, b"ok", 0)
    assert check(CheckSpec(f"{server}/old", 2)).ok


def test_redirect_to_another_host_is_refused(server):
    port = server.rsplit(":", 1)[1]
    # localhost is another host name than 127.0.0.1, even on the same machine.
    Handler.routes["/away"] = (302, {"Location": f"http://localhost:{port}/health"}, b"", 0)
    Handler.routes["/health"] = (200, {}, b"ok", 0)
    result = check(CheckSpec(f"{server}/away", 2))
    assert not result.ok and "another host" in result.error


def test_slow_server_hits_the_hard_timeout(server):
    Handler.routes["/slow"] = (200, {}, b"late", 3)
    started = time.monotonic()
    result = check(CheckSpec(f"{server}/slow", 0.5))
    assert not result.ok and "timed out" in result.error
    assert time.monotonic() - started < 1.5


def test_refused_connection_fails():
    result = check(CheckSpec("http://127.0.0.1:9/", 1))
    assert not result.ok


def test_non_http_url_is_never_fetched():
    result = check(CheckSpec("file:///etc/passwd", 1))
    assert not result.ok and "http" in result.error
