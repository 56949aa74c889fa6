"""SLA fixtures: a clockwork that files and changes tickets at chosen instants."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.support.sla import Clockwork


@pytest.fixture
def clockwork(session: Session, create_user) -> Clockwork:
    return Clockwork(session, create_user)
