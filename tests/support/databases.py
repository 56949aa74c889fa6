"""The database servers the suite runs on, each with a template migrated once per run."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine, make_url

from kommune_ikt import migrate
from kommune_ikt.core.db import create_db_engine

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
RUN_ID = uuid.uuid4().hex[:8]


def postgres_error() -> str | None:
    """Why PostgreSQL cannot be reached, or None when it can."""
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
    command.upgrade(migrate.alembic_config(connection=connection), "head")
