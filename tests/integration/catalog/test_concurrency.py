"""Concurrent approvals and submissions with real commits in a database of their own."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.db import Database, create_db_engine
from kommune_ikt.core.errors import Conflict
from service_catalog import catalogue, orders, signals, special_requests
from service_catalog.catalogue import budget_year
from service_catalog.models import SpecialRequest, Subscription
from service_catalog.municipalities import add_municipality

pytestmark = pytest.mark.db
HOST, OTHER = "1505", "1563"


@pytest.fixture
def shared(fresh_database):
    """Two member municipalities with an orderer each, an optional and a special service."""
    engine = create_db_engine(fresh_database)
    database = Database(engine)
    with database.session() as session, session.begin():
        actors = {}
        for number in (HOST, OTHER):
            add_municipality(session, SYSTEM, {"number": number, "joined_on": date(2019, 1, 1)})
            user = auth_services.create_user(
                session,
                SYSTEM,
                email=f"orderer@{number}.example",
                role="orderer",
                municipality=number,
            )
            actors[number] = Actor(user.id, Role.ORDERER, number, user.email)
        requester = auth_services.create_user(
            session, SYSTEM, email="kari@1505.example", role="requester", municipality=HOST
        )
        for code, tier, price in (
            (
                "SQL-LIC",
                "optional",
                {"unit": "licence", "unit_price": Decimal(49000), "period": "year"},
            ),
            ("KONSULENT", "special", {"hourly_rate": Decimal(650)}),
        ):
            catalogue.create_service(
                session, SYSTEM, {"code": code, "name": code, "tier": tier, "status": "active"}
            )
            catalogue.set_price(session, SYSTEM, code, budget_year(), price)
        order = orders.place_order(
            session,
            Actor(requester.id, Role.REQUESTER, HOST, requester.email),
            {"service_code": "SQL-LIC", "quantity": 1},
        )
        order_id = order.id
    yield database, actors, order_id
    engine.dispose()


def test_concurrent_approvals_exactly_one_wins(shared):
    database, actors, order_id = shared
    start = threading.Barrier(2)
    approvals = []

    def slow_receiver(order, **_):
        # Hold the row lock a while so the second approval arrives while the
        # first is still in its transaction.
        approvals.append(order.id)
        time.sleep(0.3)

    def approve(_):
        start.wait()
        try:
            with database.session() as session, session.begin():
                orders.approve_order(session, actors[HOST], order_id)
            return "approved"
        except Conflict:
            return "conflict"

    with signals.order_approved.connected_to(slow_receiver), ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(approve, range(2)))
    assert outcomes == ["approved", "conflict"]
    assert approvals == [order_id]


def test_concurrent_submissions_get_gap_free_unique_ranks(shared):
    database, actors, _ = shared
    threads, per_thread = 6, 3
    start = threading.Barrier(threads)

    def submit(i):
        start.wait()
        actor = actors[HOST if i % 2 else OTHER]
        for n in range(per_thread):
            with database.session() as session, session.begin():
                special_requests.submit_request(session, actor, {"title": f"Jobb {i}-{n}"})

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(submit, range(threads)))
    with database.session() as session:
        ranks = sorted(session.scalars(sa.select(SpecialRequest.priority_rank)))
    assert ranks == list(range(1, threads * per_thread + 1))


def test_concurrent_fulfilments_grow_one_subscription(shared):
    database, actors, _ = shared
    with database.session() as session, session.begin():
        ids = [
            orders.place_order(session, actors[HOST], {"service_code": "SQL-LIC", "quantity": q}).id
            for q in (2, 3)
        ]
    start = threading.Barrier(2)
    first_day = date(budget_year(), 1, 1)

    def fulfil(order_id):
        start.wait()
        with database.session() as session, session.begin():
            orders.fulfil_order(session, SYSTEM, order_id, first_day)

    def slow_insert(*_):
        # Widen the window between looking for an open subscription and
        # inserting a new one, where two fulfilments could both find none.
        time.sleep(0.3)

    sa.event.listen(Subscription, "before_insert", slow_insert)
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(fulfil, ids))
    finally:
        sa.event.remove(Subscription, "before_insert", slow_insert)
    with database.session() as session:
        quantities = session.scalars(sa.select(Subscription.quantity)).all()
    assert quantities == [5]
