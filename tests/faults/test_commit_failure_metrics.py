"""A commit that fails after the view succeeded: the client and /metrics see the same status."""

from __future__ import annotations

import pytest

from kommune_ikt.app import create_app
from kommune_ikt.web.edge import db_session
from kommune_ikt.web.idempotency import IdempotencyKey

pytestmark = pytest.mark.db
ROUTE = "/fault/commit-fails"


@pytest.fixture
def fresh_app(fresh_database):
    app = create_app({"database_url": fresh_database, "secret_key": "test"})
    yield app
    app.extensions["kommune_ikt.db"].engine.dispose()


def test_status_counted_by_metrics_is_the_one_sent_after_a_failed_commit(fresh_app):
    app = fresh_app

    @app.post(ROUTE)
    def commit_fails():
        """Adds a row whose foreign key is broken; the edge finds out only at commit."""
        db_session().add(
            IdempotencyKey(user_id=987654, key="k", method="POST", path="/", request_hash="h")
        )
        return {"ok": True}, 201

    response = app.test_client().post(ROUTE)
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"

    exposition = app.extensions["kommune_ikt.metrics"].render().decode()
    counted = {
        line.rpartition('status="')[2].partition('"')[0]
        for line in exposition.splitlines()
        if line.startswith("kommune_ikt_http_requests_total{") and f'route="{ROUTE}"' in line
    }
    assert counted == {"409"}


def test_request_refused_before_the_view_is_counted(fresh_app):
    app = fresh_app
    assert app.test_client().get("/api/v1/me").status_code == 401

    exposition = app.extensions["kommune_ikt.metrics"].render().decode()
    assert any(
        line.startswith("kommune_ikt_http_requests_total{")
        and 'route="/api/v1/me"' in line
        and 'status="401"' in line
        for line in exposition.splitlines()
    )
