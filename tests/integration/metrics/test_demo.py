"""The metrics part of the demo: outages around today, once."""

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth.models import User
from metrics.demo import load_metrics_demo
from metrics.models import Outage
from servicedesk.models import Ticket

pytestmark = pytest.mark.db


def test_demo_outages_load_once_with_incidents_for_unplanned(
    session, create_user, create_municipality, create_service
):
    create_municipality("1505")
    create_service("EPOST")
    create_service("NETT")
    operator = create_user("operations")
    users = {"operations@orkide.demo": session.get(User, operator.id)}
    load_metrics_demo(session, users)
    load_metrics_demo(session, users)
    rows = session.scalars(sa.select(Outage)).all()
    assert len(rows) == 4
    for outage in rows:
        ticket = session.get(Ticket, outage.ticket_id) if outage.ticket_id else None
        assert (ticket is not None) == (not outage.planned)
