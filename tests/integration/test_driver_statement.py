"""kommune_ikt.db.DriverStatement: statements sent straight to psycopg behave as SQLAlchemy's.

The hot statements of a ticket creation bypass SQLAlchemy's execution on
PostgreSQL; what callers and the web edge rely on must still hold: the same
rows, SQLAlchemy's exception classes (the edge maps IntegrityError to 409 and
a lost database to 503), and a lost connection invalidated, not reused.
"""

import pytest
import sqlalchemy as sa

from kommune_ikt.auth.models import User
from kommune_ikt.db import Database, DriverStatement, create_db_engine
from servicedesk.models import Queue

pytestmark = pytest.mark.db

BY_EMAIL = DriverStatement(
    sa.select(User.id, User.email, User.active, User.created_at).where(
        User.email == sa.bindparam("wanted")
    )
)
NEW_QUEUE = DriverStatement(
    sa.insert(Queue.__table__).values(  # type: ignore[attr-defined]
        code=sa.bindparam("queue_code"), name="Kø", sector="", auto_assign=False,
        is_default=False, created_at=sa.func.now(), updated_at=sa.func.now(),
    )
)  # fmt: skip


def test_rows_are_those_of_session_execute(session, create_user):
    user = create_user("agent")
    row = BY_EMAIL.execute(session, {"wanted": user.email}).one()
    expected = session.execute(BY_EMAIL.statement, {"wanted": user.email}).one()
    assert (row.id, row.email, row.active) == (expected.id, expected.email, expected.active)
    assert row.created_at == expected.created_at
    assert BY_EMAIL.execute(session, {"wanted": "nobody@example.invalid"}).first() is None
    with pytest.raises(sa.exc.NoResultFound):
        BY_EMAIL.execute(session, {"wanted": "nobody@example.invalid"}).one()


def test_a_constraint_violation_is_sqlalchemys_integrity_error(session):
    NEW_QUEUE.execute(session, {"queue_code": "DRIFT2"})
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        NEW_QUEUE.execute(session, {"queue_code": "DRIFT2"})
    assert session.scalar(sa.select(sa.func.count()).where(Queue.code == "DRIFT2")) == 1


def test_a_lost_connection_is_invalidated(backend, fresh_database):
    if backend.name != "postgresql":
        pytest.skip("SQLite has no server connection to lose")
    engine = create_db_engine(fresh_database)
    database = Database(engine)
    try:
        with database.session() as session:
            pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            with engine.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(sa.exc.OperationalError) as lost:
                BY_EMAIL.execute(session, {"wanted": "kari@example.invalid"})
            assert lost.value.connection_invalidated
        with database.session() as session:  # a new connection, not the dead one
            assert BY_EMAIL.execute(session, {"wanted": "kari@example.invalid"}).first() is None
    finally:
        engine.dispose()
