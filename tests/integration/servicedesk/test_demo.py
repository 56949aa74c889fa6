"""The servicedesk demo: queues, rules and tickets across the members, loaded once."""

import pytest
import sqlalchemy as sa

from kommune_ikt.demo import load_demo
from servicedesk import demo
from servicedesk.models import Queue, RoutingRule, Ticket
from servicedesk.triage import demo as triage_demo
from servicedesk.triage.models import TriageModelRow

pytestmark = pytest.mark.db


@pytest.fixture
def loaded(session, monkeypatch):
    monkeypatch.setattr(demo, "TICKETS", 40)
    monkeypatch.setattr(triage_demo, "TICKETS", 300)
    load_demo(session)
    session.flush()
    return session


def test_demo_has_the_queues_and_rules_that_use_them(loaded):
    queues = set(loaded.scalars(sa.select(Queue.code)))
    assert {"SERVICEDESK", "ARBEIDSPLASS", "NETTVERK", "HELSE", "SKOLE"} <= queues
    ruled = set(loaded.scalars(sa.select(RoutingRule.queue_code)))
    assert {"ARBEIDSPLASS", "NETTVERK", "HELSE", "SKOLE"} <= ruled


def test_demo_tickets_span_members_queues_and_statuses(loaded):
    rows = loaded.execute(sa.select(Ticket.municipality_number, Ticket.queue_code, Ticket.status))
    municipalities, queues, statuses = (set(c) for c in zip(*rows, strict=True))
    assert len(municipalities) >= 5
    assert len(queues) >= 4
    assert {"closed", "resolved"} & statuses and {"new", "assigned", "in_progress"} & statuses


def test_loading_the_demo_twice_adds_no_tickets(loaded):
    before = loaded.scalar(sa.select(sa.func.count()).select_from(Ticket))
    load_demo(loaded)
    assert loaded.scalar(sa.select(sa.func.count()).select_from(Ticket)) == before


def test_demo_has_ten_queues_a_resolved_history_and_a_model(loaded):
    assert len(set(loaded.scalars(sa.select(Queue.code)))) >= 10
    closed = loaded.scalar(
        sa.select(sa.func.count()).select_from(Ticket).where(Ticket.status == "closed")
    )
    assert closed >= 300
    model = loaded.scalar(sa.select(TriageModelRow).where(TriageModelRow.active.is_(True)))
    assert model is not None and model.samples >= 300
    assert model.figures["queue"]["accuracy"] > 0.5
