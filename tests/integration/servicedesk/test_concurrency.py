"""Concurrent creation with real commits: numbers stay gap-free, assignment stays balanced."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.db import Database, create_db_engine
from service_catalog.municipalities import add_municipality
from servicedesk import filing
from servicedesk.filing import filer
from servicedesk.models import Queue, QueueAgent, RoutingRule, Ticket
from tests.support.desk import HOST, TICKET

pytestmark = pytest.mark.db
THREADS = 8
PER_THREAD = 5


@pytest.fixture
def shared(fresh_database):
    """A committed set-up in a database of its own: a requester and three agents in DRIFT."""
    engine = create_db_engine(fresh_database)
    database = Database(engine)
    with database.session() as session, session.begin():
        add_municipality(session, SYSTEM, {"number": HOST, "joined_on": date(2019, 1, 1)})
        requester = auth_services.create_user(
            session, SYSTEM, email="kari@kristiansund.example", role="requester", municipality=HOST
        )
        agents = [
            auth_services.create_user(
                session, SYSTEM, email=f"agent{i}@orkide.example", role="agent"
            )
            for i in range(3)
        ]
        session.add(Queue(code="DRIFT", name="Drift", auto_assign=True))
        session.flush()
        session.add_all(QueueAgent(queue_code="DRIFT", user_id=a.id) for a in agents)
        session.add(RoutingRule(position=1, match={"keywords": ["server"]}, queue_code="DRIFT"))
        actor = Actor(requester.id, Role.REQUESTER, HOST, requester.email)
        agent_ids = [a.id for a in agents]
    yield database, actor, agent_ids
    engine.dispose()


def file(session, actor, body):
    return filing.file_ticket(session, actor, filing.NewTicket(**body)).ticket


def _create_many(database, actor, body, threads=THREADS, per_thread=PER_THREAD):
    start = threading.Barrier(threads)

    def work(_):
        start.wait()
        made = []
        for _ in range(per_thread):
            with database.session() as session, session.begin():
                made.append(file(session, actor, body).number)
        return made

    with ThreadPoolExecutor(threads) as pool:
        return [n for batch in pool.map(work, range(threads)) for n in batch]


def test_concurrent_creation_hands_out_gap_free_unique_numbers(shared):
    database, actor, _ = shared
    numbers = _create_many(database, actor, {**TICKET, "type": "incident"})
    total = THREADS * PER_THREAD
    assert len(set(numbers)) == total
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, total + 1))


def test_concurrent_auto_assignment_stays_balanced(shared, monkeypatch):
    database, actor, agent_ids = shared
    write = filer.write

    def slow(*args, **kwargs):
        # Widen the window between picking an agent and committing, where an
        # unlocked pick would let two creators choose the same agent.
        time.sleep(0.02)
        return write(*args, **kwargs)

    monkeypatch.setattr(filer, "write", slow)
    _create_many(database, actor, {**TICKET, "title": "Server nede"}, threads=6, per_thread=5)
    with database.session() as session:
        load = Counter(session.scalars(sa.select(Ticket.assignee_id)))
    assert load == dict.fromkeys(agent_ids, 10)


def test_failed_creation_leaves_no_gap(shared):
    database, actor, _ = shared
    with database.session() as session, session.begin():
        first = file(session, actor, TICKET).number
    with pytest.raises(RuntimeError), database.session() as session, session.begin():
        file(session, actor, TICKET)
        raise RuntimeError("the request failed after the number was taken")
    with database.session() as session, session.begin():
        second = file(session, actor, TICKET).number
    assert int(second[-6:]) == int(first[-6:]) + 1
