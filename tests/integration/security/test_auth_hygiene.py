"""Bearer tokens: never logged, compared in constant time, and guessing them is rate limited."""

from __future__ import annotations

import dataclasses
import hmac
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from kommune_ikt import web
from kommune_ikt.app import create_app
from kommune_ikt.auth import services as auth_services

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[3]
BAD = "kikt_this-is-not-a-token-of-anyone"


def secret_parts(token: str) -> list[str]:
    """The token, and the part of it that is secret (the first 12 characters are its prefix)."""
    return [token, token[12:]]


@pytest.fixture
def all_logs(caplog):
    """Capture every logger at DEBUG, SQL statements and their parameters included."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    return caplog


def test_tokens_are_not_in_the_application_log_of_good_and_bad_requests(
    all_logs, client, create_user
):
    agent = create_user("agent")
    requester = create_user("requester", "1505")
    requests = [
        ("GET", "/api/v1/me", agent.headers, None),
        ("GET", "/api/v1/tickets?q=skriver", requester.headers, None),
        ("POST", "/api/v1/tickets", requester.headers, {"title": ""}),  # 422
        ("GET", "/api/v1/tickets/999999", agent.headers, None),  # 404
        ("GET", "/api/v1/queues", requester.headers, None),  # 403
        ("GET", "/api/v1/me", {"Authorization": f"Bearer {BAD}"}, None),  # 401
        ("POST", "/api/v1/tickets", agent.headers, b"{not json"),  # 400
    ]
    statuses = []
    for method, path, headers, body in requests:
        kwargs = (
            {"data": body, "content_type": "application/json"} if isinstance(body, bytes) else {}
        )
        response = client.open(
            path,
            method=method,
            headers=headers,
            json=body if not isinstance(body, bytes) else None,
            **kwargs,
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 422, 404, 403, 401, 400]
    text = all_logs.text + "".join(str(r.args) for r in all_logs.records)
    assert "failed bearer authentication from 127.0.0.1 on GET /api/v1/me" in all_logs.text
    # SQL and its parameters were logged too (on PostgreSQL authentication's own
    # statement goes to the driver directly, kommune_ikt.db.DriverStatement).
    assert "FROM tickets" in all_logs.text
    for token in (agent.token, requester.token, BAD):
        for part in secret_parts(token):
            assert part not in text


def test_a_token_is_not_in_the_log_of_an_unhandled_error(
    all_logs, engine, database_url, connection, create_user
):
    app = create_app({"ENGINE": engine, "database_url": database_url, "secret_key": "t"})

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("boom")

    maker = app.extensions["kommune_ikt.db"].sessionmaker
    maker.configure(bind=connection, join_transaction_mode="create_savepoint")
    agent = create_user("agent")
    response = app.test_client().get("/api/v1/boom", headers=agent.headers)
    assert response.status_code == 500
    assert "RuntimeError: boom" in all_logs.text  # the traceback is logged ...
    for part in secret_parts(agent.token):
        assert part not in all_logs.text  # ... without the token


def test_the_gunicorn_access_log_format_logs_no_header_or_environ():
    settings = runpy.run_path(str(ROOT / "ops" / "gunicorn.conf.py"))
    fmt = settings["access_log_format"]
    # %({name}i)s request headers, %({name}e)s environ (HTTP_AUTHORIZATION): neither is used.
    assert "}i" not in fmt and "}e" not in fmt


def test_a_gunicorn_access_line_has_no_token():
    settings = runpy.run_path(str(ROOT / "ops" / "gunicorn.conf.py"))
    config = Config()
    config.set("access_log_format", settings["access_log_format"])
    logger = Logger(config)
    token = "kikt_" + "s3cr3t" * 7
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v1/tickets?status=new",
        "PATH_INFO": "/api/v1/tickets",
        "QUERY_STRING": "status=new",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
    }
    request = SimpleNamespace(
        headers=[("AUTHORIZATION", f"Bearer {token}")],
        method="GET",
        path="/api/v1/tickets",
        query="status=new",
        uri="/api/v1/tickets?status=new",
        version=(1, 1),
    )
    response = SimpleNamespace(
        status="200 OK", status_code=200, sent=12, headers=[], response_length=12
    )
    atoms = logger.atoms(response, request, environ, __import__("datetime").timedelta(seconds=0.01))
    line = settings["access_log_format"] % atoms
    assert "GET /api/v1/tickets?status=new" in line
    assert "s3cr3t" not in line


def test_tokens_are_compared_with_hmac_compare_digest(client, create_user, monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth_services.hmac, "compare_digest", spy)
    agent = create_user("agent")
    assert client.get("/api/v1/me", headers=agent.headers).status_code == 200
    wanted = auth_services.hash_token(agent.token)
    assert calls == [(wanted, wanted)]


# --- rate limiting of failed authentications ---------------------------------------

LIMIT = 5


@pytest.fixture
def limited(app, monkeypatch):
    """The app with a limit of 5 failed authentications per address and minute."""
    settings = dataclasses.replace(app.config["SETTINGS"], auth_failures_per_minute=LIMIT)
    monkeypatch.setitem(app.config, "SETTINGS", settings)
    return app


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


FAILING = [
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/tickets"),
    ("POST", "/api/v1/orders"),
    ("PATCH", "/api/v1/services/M365-LIC"),
    ("DELETE", "/api/v1/routing-rules/1"),
]


def fail_everywhere(client, address: str) -> list[int]:
    bad = {"Authorization": f"Bearer {BAD}"}
    return [
        client.open(path, method=method, headers=bad, json={}, **from_address(address)).status_code
        for method, path in FAILING
    ]


def test_failed_authentications_over_several_endpoints_add_up_to_429(limited, client, caplog):
    address = "198.51.100.10"
    assert fail_everywhere(client, address) == [401] * LIMIT
    assert f"198.51.100.10 refused for a minute: {LIMIT} failed authentications" in caplog.text
    response = client.get(
        "/api/v1/tickets", headers={"Authorization": f"Bearer {BAD}"}, **from_address(address)
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert response.content_type == "application/problem+json"


def test_a_blocked_address_is_refused_even_with_a_valid_token(limited, client, create_user):
    # The check comes before the token is looked at, so a guesser learns nothing while blocked.
    agent = create_user("agent")
    address = "198.51.100.11"
    fail_everywhere(client, address)
    response = client.get("/api/v1/me", headers=agent.headers, **from_address(address))
    assert response.status_code == 429


def test_other_addresses_are_not_limited(limited, client, create_user):
    agent = create_user("agent")
    fail_everywhere(client, "198.51.100.12")
    response = client.get("/api/v1/me", headers=agent.headers, **from_address("198.51.100.13"))
    assert response.status_code == 200


def test_successful_authentications_do_not_count(limited, client, create_user):
    agent = create_user("agent")
    address = "198.51.100.14"
    for _ in range(LIMIT * 3):
        assert (
            client.get("/api/v1/me", headers=agent.headers, **from_address(address)).status_code
            == 200
        )


def test_the_block_lifts_after_a_minute(limited, client, create_user, monkeypatch):
    agent = create_user("agent")
    address = "198.51.100.15"
    now = [1_000_000.0]
    monkeypatch.setattr(web.time, "monotonic", lambda: now[0])
    fail_everywhere(client, address)
    assert (
        client.get("/api/v1/me", headers=agent.headers, **from_address(address)).status_code == 429
    )
    now[0] += 61
    assert (
        client.get("/api/v1/me", headers=agent.headers, **from_address(address)).status_code == 200
    )


@pytest.fixture
def proxied_app(engine, database_url, connection):
    """An app behind one reverse proxy (PROXY_HOPS=1) with a limit of 5."""

    def make(hops: int):
        app = create_app(
            {
                "ENGINE": engine,
                "database_url": database_url,
                "secret_key": "t",
                "proxy_hops": hops,
                "auth_failures_per_minute": LIMIT,
            }
        )
        maker = app.extensions["kommune_ikt.db"].sessionmaker
        maker.configure(bind=connection, join_transaction_mode="create_savepoint")
        return app.test_client()

    return make


PROXY = "10.0.0.2"  # every request reaches gunicorn from the proxy


def through_proxy(client, token: str, client_address: str, spoofed: str | None = None) -> int:
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return client.get(
        "/api/v1/me",
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": PROXY},
    ).status_code


def test_behind_a_proxy_one_failing_client_does_not_lock_out_the_others(proxied_app, create_user):
    client = proxied_app(1)
    agent = create_user("agent")
    assert [through_proxy(client, BAD, "192.0.2.66") for _ in range(LIMIT)] == [401] * LIMIT
    assert through_proxy(client, BAD, "192.0.2.66") == 429
    assert through_proxy(client, agent.token, "192.0.2.7") == 200


def test_a_client_cannot_escape_the_limit_by_sending_its_own_forwarded_address(
    proxied_app, create_user
):
    client = proxied_app(1)
    statuses = [
        through_proxy(client, BAD, "192.0.2.66", spoofed=f"203.0.113.{n}") for n in range(LIMIT + 1)
    ]
    assert statuses == [401] * LIMIT + [429]


def test_without_proxy_hops_a_forwarded_address_is_ignored(proxied_app):
    client = proxied_app(0)
    statuses = [through_proxy(client, BAD, f"192.0.2.{n}") for n in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]  # all counted against the peer itself
