"""Alembic environment: one metadata, batch mode on SQLite, timeouts and a lock on PostgreSQL."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.sql import sqltypes

from kommune_ikt.core.config import Settings
from kommune_ikt.core.db import create_db_engine
from kommune_ikt.registry import load_models

config = context.config
target_metadata = load_models()

# Any number works as long as every migrator uses the same one.
MIGRATION_LOCK_ID = 0x4B494B54

# Tables the migrations create for one dialect only and no model describes
# (servicedesk's SQLite FTS5 index and its shadow tables).
UNMODELLED_TABLE_PREFIXES = ("ticket_fts",)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "table" and reflected and compare_to is None and name:
        return not name.startswith(UNMODELLED_TABLE_PREFIXES)
    return True


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the application's column types as the plain ``sa`` type they store as.

    This file may import the application to build the metadata, but the
    scripts autogenerate writes must not: a migration is history, and an old
    one has to keep working after the type it once used is renamed or gone.
    """
    if type_ == "type" and isinstance(obj, sa.TypeDecorator):
        return plain_type(obj, autogen_context)
    return False


def plain_type(type_: sa.types.TypeEngine[Any], autogen_context: AutogenContext) -> str:
    # UTCDateTime -> DateTime(timezone=True), Money -> BigInteger(), sqlmodel's
    # AutoString -> String(length=...): the impl carries the length and precision.
    while isinstance(type_, sa.TypeDecorator):
        type_ = type_.impl_instance
    if type(type_).__module__ != sqltypes.__name__:
        raise TypeError(f"no plain sa rendering for {type_!r}; extend render_item in env.py")
    prefix = autogen_context.opts.get("sqlalchemy_module_prefix") or "sa."
    return f"{prefix}{type_!r}"


def run_with(connection: Connection) -> None:
    is_pg = connection.dialect.name == "postgresql"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=False,
        include_object=include_object,
        render_item=render_item,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        if is_pg:
            # Fail fast rather than queue behind live traffic, and never let
            # two deployments migrate at once.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
            connection.exec_driver_sql("SET LOCAL statement_timeout = '300s'")
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    url = config.attributes.get("url") or Settings.from_env().database_url
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            run_with(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) mode is not supported; run against a database.")
run_online()
