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
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from kommune_ikt import migrate
from kommune_ikt.app import create_app
from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.db import create_db_engine
from servicedesk import filing

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
RUN_ID = uuid.uuid4().hex[:8]
# The tests assert the English message ids; the deployment default (nb) and the other
# languages are tested where they ask for them (tests/integration/test_language.py).
# Set here, before any app or served process reads it, so every one of them speaks English.
# E-mails keep the deployment's own default (bokmål), which the mail tests assert.
os.environ.setdefault("DEFAULT_LANGUAGE", "en")
os.environ.setdefault("NOTIFICATION_LANGUAGE", "nb")


def _postgres_error() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
        return None
    except sa.exc.SQLAlchemyError as exc:
        return str(exc).splitlines()[0]


@dataclass
class Backend:
    """A database server the suite runs on, with a migrated template to copy from."""

    name: str
    workdir: Path
    made: list[str] = field(default_factory=list)
    template: str = ""
    admin: Engine | None = None

    def setup(self) -> None:
        if self.name == "postgresql":
            # pre_ping: the fault tests restart PostgreSQL mid-run.
            self.admin = sa.create_engine(
                PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True
            )
            name = f"kikt_{RUN_ID}_template"
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            self.made.append(name)
            self.template = name
            url = self._pg_url(name)
        else:
            path = self.workdir / "template.sqlite3"
            self.template = str(path)
            url = f"sqlite:///{path}"
        engine = create_db_engine(url)
        with engine.begin() as conn:
            migrate_with(conn)
        engine.dispose()

    def _pg_url(self, name: str) -> str:
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def new_database(self) -> str:
        """A fresh, migrated database; dropped at the end of the run."""
        if self.name == "postgresql":
            name = f"kikt_{RUN_ID}_{uuid.uuid4().hex[:10]}"
            with self.admin.connect() as conn:  # type: ignore[union-attr]
                conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            self.made.append(name)
            return self._pg_url(name)
        path = self.workdir / f"{uuid.uuid4().hex[:10]}.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        if self.name == "postgresql":
            name = make_url(url).database
            with self.admin.connect() as conn:  # type: ignore[union-attr]
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if name in self.made:
                self.made.remove(name)

    def teardown(self) -> None:
        if self.admin is None:
            return
        with self.admin.connect() as conn:
            for name in reversed(self.made):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


def migrate_with(connection: sa.Connection) -> None:
    from alembic import command

    command.upgrade(migrate.alembic_config(connection=connection), "head")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "postgresql":
        error = _postgres_error()
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


# --- factories ---------------------------------------------------------------


@dataclass
class UserWithToken:
    id: int
    email: str
    role: Role
    municipality: str | None
    token: str
    token_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role, self.municipality, self.email)


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
