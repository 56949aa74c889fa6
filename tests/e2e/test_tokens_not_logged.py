"""A real `kommune-ikt serve`: its access log and application log never carry a bearer token."""

import pytest

pytestmark = [pytest.mark.db, pytest.mark.e2e]


def test_serve_logs_requests_but_never_their_tokens(server_factory, backend):
    if backend.name != "sqlite":
        pytest.skip("logging does not depend on the database; once is enough")
    server = server_factory(GUNICORN_ACCESSLOG="-", LOG_LEVEL="DEBUG")
    token = server.add_user("drift@orkide.example", "operations")
    bad = "kikt_" + "gjett" * 8
    server.start(workers=1)
    assert server.request("GET", "/api/v1/me?fields=all", token=token).status == 200
    assert server.request("GET", "/api/v1/tickets", token=bad).status == 401
    assert server.request("POST", "/api/v1/outages", token=token, body={}).status == 422
    server.stop()
    log = server.log()
    # The log is not empty: the requests and the failed authentication are in it ...
    assert '"GET /api/v1/me?fields=all HTTP/1.1" 200' in log
    assert "failed bearer authentication from 127.0.0.1 on GET /api/v1/tickets" in log
    # ... but no token, nor the secret part of one.
    for secret in (token, token[12:], bad, bad[12:]):
        assert secret not in log
