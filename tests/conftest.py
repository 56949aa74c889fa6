"""Test fixtures: databases built by the migrations, one transaction per test, factories.

Every test that asks for a database fixture runs twice: on SQLite and on
PostgreSQL. PostgreSQL is skipped when unreachable, except under ``CI=true``,
where an unreachable PostgreSQL fails the run.

Schemas are made once per run by running the Alembic migrations into a
template database; each database a test needs is a copy of that template
(``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, a file copy on SQLite).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from kommune_ikt.app import create_app
from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.db import create_db_engine
from servicedesk import filing
from tests.support.databases import Backend, postgres_error
from tests.support.machine import IN_CI, free_port
from tests.support.served import Server
from tests.support.users import UserWithToken

# The tests assert the English message ids; the deployment default (nb) and the other
# languages are tested where they ask for them (tests/integration/test_language.py).
# Set here, before any app or served process reads it, so every one of them speaks English.
# E-mails keep the deployment's own default (bokmål), which the mail tests assert.
os.environ.setdefault("DEFAULT_LANGUAGE", "en")
os.environ.setdefault("NOTIFICATION_LANGUAGE", "nb")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "postgresql":
        error = postgres_error()
        if error is not None:
            if IN_CI:
                pytest.fail(f"PostgreSQL is required under CI and unreachable: {error}")
            pytest.skip(f"PostgreSQL unreachable ({error}); set CI=true to make this fail")
    b = Backend(request.param, tmp_path_factory.mktemp(f"db-{request.param}"))
    b.setup()
    yield b
    b.teardown()


@pytest.fixture(scope="session")
def database_url(backend: Backend) -> str:
    return backend.new_database()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(engine: Engine, database_url: str):
    return create_app(
        {
            "ENGINE": engine,
            "database_url": database_url,
            "secret_key": "test",
            "auth_failures_per_minute": 10_000,
            "TESTING": True,
        }
    )


@pytest.fixture
def connection(engine: Engine, app) -> Iterator[sa.Connection]:
    """One outer transaction per test, rolled back at the end; the app commits to savepoints."""
    conn = engine.connect()
    outer = conn.begin()
    maker = app.extensions["kommune_ikt.db"].sessionmaker
    maker.configure(bind=conn, join_transaction_mode="create_savepoint")
    yield conn
    maker.configure(bind=engine, join_transaction_mode="conservative_savepoint")
    if outer.is_active:
        outer.rollback()
    conn.close()


@pytest.fixture
def session(connection: sa.Connection) -> Iterator[Session]:
    """A session for setting up and checking data, inside the test's transaction."""
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as s:
        yield s


@pytest.fixture
def client(app, connection):
    return app.test_client()


@pytest.fixture
def fresh_database(backend: Backend) -> Iterator[str]:
    """A database of its own, for tests that need real commits (concurrency, processes)."""
    url = backend.new_database()
    yield url
    backend.drop(url)


@pytest.fixture
def count_queries(engine: Engine) -> Callable[[], contextlib.AbstractContextManager[list[str]]]:
    """``with count_queries() as statements:`` records every statement the block sends."""

    @contextlib.contextmanager
    def counter() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counter


@pytest.fixture
def server_factory(fresh_database, tmp_path) -> Iterator[Any]:
    """``server = server_factory()``: a migrated, empty service; call ``server.start()``."""
    made: list[Server] = []

    def make(**env_overrides: str) -> Server:
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": fresh_database,
            "SECRET_KEY": "e2e",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"metrics-{port}"),
            "GUNICORN_ACCESSLOG": "",
            **env_overrides,
        }
        server = Server(
            f"http://127.0.0.1:{port}", fresh_database, env, log_path=tmp_path / f"serve-{port}.log"
        )
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


# --- factories ---------------------------------------------------------------


@pytest.fixture
def create_municipality(session: Session):
    """``create_municipality("1505")``: a member from the official reference data."""
    from service_catalog.models import Municipality
    from service_catalog.municipalities import add_municipality

    def create(number: str = "1505", **values: Any) -> Municipality:
        existing = session.get(Municipality, number)
        if existing is not None:
            return existing
        values.setdefault("joined_on", __import__("datetime").date(2019, 1, 1))
        municipality = add_municipality(session, SYSTEM, {"number": number, **values})
        session.commit()
        return municipality

    return create


@pytest.fixture
def create_user(session: Session, create_municipality):
    """``create_user("requester", "1505")``: a user with a fresh token."""
    counter = iter(range(1, 10_000))

    def create(role: str | Role = Role.AGENT, municipality: str | None = None) -> UserWithToken:
        role = Role(role)
        if municipality is not None:
            create_municipality(municipality)
        email = f"{role.value}{next(counter)}-{uuid.uuid4().hex[:6]}@test.example"
        user = auth_services.create_user(
            session, SYSTEM, email=email, role=role, municipality=municipality
        )
        issued = auth_services.issue_token(session, SYSTEM, user.id, "test")
        session.commit()
        return UserWithToken(user.id, email, role, municipality, issued.secret, issued.token.id)

    return create


@pytest.fixture
def filings(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The ``NewTicket`` of every ticket filed during the test, as
    ``servicedesk.filing.file_ticket`` received it: a caller that created a ticket
    some other way would leave it out."""
    seen: list[Any] = []
    real = filing.file_ticket

    def spy(session: Session, actor: Actor, new: Any, **kwargs: Any) -> Any:
        seen.append(new)
        return real(session, actor, new, **kwargs)

    monkeypatch.setattr(filing, "file_ticket", spy)
    return seen
