"""Reference data cached per process and checked against the database once per use.

Some small tables are read by every ticket creation and written by an admin now
and then: municipalities, services, queues, routing rules, SLA policies and
calendars. Reading them all on every request costs more statements than the
creation itself, so each process keeps what it loaded, keyed by the database's
*reference token*:

- the table ``reference_version`` holds one row with a random token;
- a trigger on each table in ``REFERENCE_TABLES`` sets a new random token on
  every INSERT, UPDATE or DELETE, in the writer's own transaction (the
  migration creates them; a test writes to each table and checks the token);
- ``cached(session, name, loader)`` reads the token (one primary-key lookup)
  and reuses what ``loader`` built for that token, or calls it again.

Authentication, the first statement of every API request, reads the token as
one more column (``token_column``) and leaves it on the session
(``prefetched``), so a request that uses reference data does not read it
again. That token stays good until the transaction writes anything through
the session (or ends): the listeners at the bottom forget it then, and the
next use reads the token afresh, the writer's own if it changed reference
data.

The token is random rather than a counter, so two databases (or one rolled
back transaction and the next) can never show the same token for different
contents: a change that rolls back leaves its token unreachable, and a
transaction that changed reference data sees its own new token and loads its
own view. What a request uses is therefore exactly what its transaction would
have read, no matter which process changed the data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import Field

from kommune_ikt.core.db import SQLModel, table_of

T = TypeVar("T")

# Tables whose writes change the reference token (their triggers are in the migrations).
REFERENCE_TABLES = (
    "municipalities",
    "services",
    "queues",
    "routing_rules",
    "sla_policies",
    "sla_calendars",
    "triage_models",
)
# Loaded snapshots kept per process: a few names times the databases a process talks to.
MAX_ENTRIES = 16


class ReferenceVersion(SQLModel, table=True):
    """One row (id 1): a random token replaced by triggers on every reference write."""

    __tablename__ = "reference_version"

    id: int = Field(primary_key=True)
    token: str = Field(max_length=64)


_TOKEN = sa.select(table_of(ReferenceVersion).c.token).where(table_of(ReferenceVersion).c.id == 1)
_cache: OrderedDict[tuple[str, str], Any] = OrderedDict()
_lock = threading.Lock()


# Where a token read earlier in this transaction waits (Session.info survives commits,
# so the listeners below drop it when the transaction writes or ends).
_PREFETCHED = "kommune_ikt.reference_token"


def token_column() -> Any:
    """The token as one more column of a statement that runs first anyway (authentication)."""
    return _TOKEN.scalar_subquery().label("reference_token")


def prefetched(session: Session, value: str | None) -> None:
    """Keep a token read by ``token_column`` for this transaction's next ``cached`` calls."""
    if value is not None:
        session.info[_PREFETCHED] = value


def token(session: Session) -> str:
    """The database's current reference token, as this transaction sees it."""
    value = session.info.get(_PREFETCHED)
    if value is not None:
        return value
    value = session.execute(_TOKEN).scalar_one_or_none()
    if value is None:  # pragma: no cover - the migration inserts the row
        raise RuntimeError("reference_version has no row: run `kommune-ikt db upgrade`")
    return value


def cached(session: Session, name: str, loader: Callable[[Session], T]) -> T:
    """What ``loader(session)`` returns, reused while the reference token is unchanged."""
    key = (name, token(session))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = loader(session)
    with _lock:
        _cache[key] = value
        while len(_cache) > MAX_ENTRIES:
            _cache.popitem(last=False)
    return value


@sa.event.listens_for(Session, "do_orm_execute")
def _forget_before_a_write(state: Any) -> None:
    if not state.is_select:
        state.session.info.pop(_PREFETCHED, None)


@sa.event.listens_for(Session, "after_flush")
@sa.event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_PREFETCHED, None)


def clear() -> None:
    """Forget every snapshot (tests that change tables behind the triggers' back)."""
    with _lock:
        _cache.clear()
