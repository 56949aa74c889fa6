"""An outbox on a database of its own, for the sender's real commits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kommune_ikt.core.db import Database, create_db_engine
from tests.support.smtp import Outbox


@pytest.fixture
def outbox(fresh_database) -> Iterator[Outbox]:
    """A migrated database with real commits, and helpers around the outbox."""
    engine = create_db_engine(fresh_database)
    database = Database(engine)
    yield Outbox(database)
    engine.dispose()
