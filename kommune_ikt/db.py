"""The database: metadata naming convention, engine, sessions and SQLite pragmas."""

from __future__ import annotations

import gc
import os
import unicodedata
from collections import namedtuple
from pathlib import Path
from typing import Any, Protocol, cast

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, class_mapper, sessionmaker
from sqlmodel import SQLModel

# Every constraint gets a predictable name, so migrations can drop and alter
# them on both databases (SQLite batch mode needs names to find them).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "SQLModel",
    "create_db_engine",
    "refuses_writes",
    "saved_id",
    "table_of",
]


def create_db_engine(url: str, *, sqlite_busy_timeout: float = 10.0, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets the pragmas that make it a safe embedded database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].setdefault("timeout", sqlite_busy_timeout)
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine, sqlite_busy_timeout)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def saved_id(row: _Row) -> int:
    """The id of a row the database has given one (it was flushed or loaded)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


def table_of(model: type[SQLModel]) -> sa.Table:
    """The table model's Core table: ``model.__table__``, which SQLModel leaves undeclared."""
    return cast(sa.Table, class_mapper(model).local_table)


def refuses_writes(exc: sa.exc.DBAPIError) -> str | None:
    """``"full"`` or ``"read_only"`` when the database refused a write for that reason."""
    # sqlite3 names its result code (SQLITE_FULL, SQLITE_READONLY_...); psycopg the SQLSTATE.
    sqlite_name = getattr(exc.orig, "sqlite_errorname", None) or ""
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlite_name == "SQLITE_FULL" or sqlstate == "53100":
        return "full"
    if sqlite_name.startswith("SQLITE_READONLY") or sqlstate == "25006":
        return "read_only"
    return None


def _read_only(path: str | None) -> bool:
    """True when the file (or its folder, where WAL keeps its files) cannot be written now."""
    if not path or path == ":memory:" or not os.path.exists(path):
        return False
    return not (os.access(path, os.W_OK) and os.access(os.path.dirname(path) or ".", os.W_OK))


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    path = engine.url.database
    # A connection opened while the file or its filesystem was read-only stays
    # read-only for life, and so does every connection of the same process that
    # shares its file (SQLite keeps one shared-memory mapping per file and
    # process). Once the file is writable again, the next checkout closes every
    # connection and opens a new one: writes work again without a restart.
    seen_read_only = [False]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if _read_only(path):
            seen_read_only[0] = True
        # Take transaction control from pysqlite so that SAVEPOINT works and
        # every transaction starts with BEGIN IMMEDIATE (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.close()
        # PostgreSQL's normalize(text, NFC), for the search index (servicedesk/search.py).
        dbapi_connection.create_function("nfc", 1, _nfc, deterministic=True)

    @event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if seen_read_only[0] and not _read_only(path):
            seen_read_only[0] = False
            # Connections dropped after a failed statement stay open until their
            # statement is collected; they hold the read-only mapping too.
            gc.collect()
            engine.pool.dispose()
            raise sa.exc.DisconnectionError("the database file has become writable")

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        name = getattr(context.original_exception, "sqlite_errorname", "") or ""
        if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
            seen_read_only[0] = True
            context.is_disconnect = True

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that
        # reads and then writes can fail at once with "database is locked"
        # instead of waiting out the busy timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _nfc(text: str | None) -> str | None:
    return None if text is None else unicodedata.normalize("NFC", text)


class Database:
    """An engine and the session factory bound to it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self.sessionmaker()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except sa.exc.SQLAlchemyError:
            return False


class DriverStatement:
    """A Core statement compiled once and sent straight to psycopg on PostgreSQL.

    ``session.execute`` looks the statement up in SQLAlchemy's compiled cache,
    builds its parameters and wraps the result for the ORM on every call, and
    ``exec_driver_sql`` still builds result metadata from the cursor each time.
    For the few statements every ticket creation sends (authentication and the
    filing write) that bookkeeping cost more CPU than the statement itself. Here
    the SQL text, the default values and each parameter's conversion are worked
    out once; each call converts the values with the processors SQLAlchemy would
    use and runs the text on the session's own connection (so in its
    transaction), with rows as named tuples of the statement's columns.

    What ``Connection.execute`` would add and still holds: a driver error is
    raised as SQLAlchemy's ``DBAPIError`` subclass (IntegrityError, OperationalError,
    ...), and a lost connection is invalidated, so the edge answers as for any
    other statement (409, 503). Not kept: SQLAlchemy's execution events do not
    see these statements, and rows are not type-processed (numbers, text,
    booleans and timestamps with their offset come as psycopg makes them).

    Other databases (SQLite, whose timestamps are text) run the statement through
    ``session.execute``. Plain bound parameters only: expanding (IN) parameters
    are refused when the statement is compiled.
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._form: tuple[str, dict[str, Any], dict[str, Any]] | None = None
        # Rows as named tuples of the statement's own column names (psycopg's
        # named-tuple rows would work them out from the cursor on every call).
        columns = getattr(statement, "selected_columns", None)
        self._row: Any = namedtuple("Row", columns.keys(), rename=True) if columns else None

    def _compile(self, dialect: sa.engine.Dialect) -> tuple[str, dict[str, Any], dict[str, Any]]:
        compiled = self.statement.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string or compiled.positional:
            raise ValueError("DriverStatement takes named, non-expanding parameters only")
        processors = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))
        }
        defaults = {k: v for k, v in compiled.params.items() if v is not None}
        return compiled.string, defaults, processors

    def execute(self, session: Session, params: dict[str, Any] | None = None) -> Any:
        """The result: ``.first()`` (a row or None) and ``.one()`` on either database."""
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            return session.execute(self.statement, params)
        if self._form is None:
            self._form = self._compile(connection.dialect)
        sql, defaults, processors = self._form
        values = {**defaults, **(params or {})}
        for name, processor in processors.items():
            if name in values:
                values[name] = processor(values[name])
        fairy = connection.connection
        driver = fairy.driver_connection
        assert driver is not None  # a checked-out connection has its driver's connection
        try:
            with driver.cursor() as cursor:
                cursor.execute(sql, values)
                row = self._row
                return _Rows([row._make(r) for r in cursor.fetchall()] if row else [])
        except psycopg.Error as exc:
            # SQLAlchemy types a driver's errors as its own stand-in class, DBAPIModule.Error.
            lost = connection.dialect.is_disconnect(exc, fairy.dbapi_connection, None)  # type: ignore[arg-type]
            if lost:
                connection.invalidate(exc)
            raise sa.exc.DBAPIError.instance(
                sql, values, exc, psycopg.Error, connection_invalidated=lost,
                dialect=connection.dialect,
            ) from exc  # fmt: skip


class _Rows:
    """The fetched rows of a DriverStatement, read as a SQLAlchemy result would be."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def one(self) -> Any:
        if not self.rows:
            raise sa.exc.NoResultFound("No row was found when one was required")
        if len(self.rows) > 1:
            raise sa.exc.MultipleResultsFound("Multiple rows were found when one was required")
        return self.rows[0]
