"""PostgreSQL goes down under load: 503 problem+json meanwhile, recovery on its own, no write lost."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from kommune_ikt.core.db import create_db_engine
from tests.support.faults import TicketLoad, call, member_and_requesters
from tests.support.machine import wait_for

pytestmark = [
    pytest.mark.db,
    pytest.mark.e2e,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]
DOWN_SECONDS = 3


def test_postgresql_stopped_under_load_gives_503_then_recovers_without_losing_writes(
    server_factory, pg_cluster
):
    server = server_factory()
    server.start(workers=2)
    tokens = member_and_requesters(server, 4)
    load = TicketLoad(server.base_url, tokens).start()
    down: list = []
    try:
        wait_for(lambda: len(load.acknowledged) >= 20, 30, "tickets before the fault")
        pg_cluster.stop()
        try:
            stopped = time.monotonic()
            while time.monotonic() - stopped < DOWN_SECONDS:
                down.append(call(server.base_url, "GET", "/api/v1/tickets?limit=5", tokens[0]))
                down.append(call(server.base_url, "GET", "/readyz"))
                time.sleep(0.1)
        finally:
            pg_cluster.start()
        pg_cluster.wait_accepting()
        restarted = time.monotonic()
        # The same gunicorn, never restarted, answers again within a few seconds.
        wait_for(
            lambda: (
                call(server.base_url, "GET", "/api/v1/tickets?limit=5", tokens[0]).status == 200
            ),
            30,
            "the service to answer again after PostgreSQL came back",
        )
        recovered_after = time.monotonic() - restarted
        before = len(load.acknowledged)
        wait_for(lambda: len(load.acknowledged) >= before + 20, 30, "tickets after the fault")
    finally:
        load.stop()

    assert recovered_after < 15
    assert down, "no request was made while PostgreSQL was down"
    for answer in down:
        assert answer.status == 503, (answer.status, answer.body[:300])
        assert answer.content_type == "application/problem+json"
        assert answer.json["status"] == 503
    seen = load.statuses()
    assert 503 in seen, "the load never met the outage"
    assert seen <= {201, 503}, f"unexpected answers while PostgreSQL restarted: {seen}"
    assert all(w.ticket_id is not None for w in load.writes), "a write was never acknowledged"

    engine = create_db_engine(server.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, title FROM tickets")).all()
    finally:
        engine.dispose()
    ids_by_title: dict[str, list[int]] = {}
    for ticket_id, title in rows:
        ids_by_title.setdefault(title, []).append(ticket_id)
    duplicated = {t: ids for t, ids in ids_by_title.items() if len(ids) > 1}
    assert not duplicated, f"tickets stored twice: {duplicated}"
    for write in load.acknowledged:
        assert ids_by_title.get(write.title) == [write.ticket_id], f"lost: {write}"
    assert len(rows) == len(load.writes)
