"""Idempotency-Key on creating POSTs, through a small probe endpoint."""

import pytest
import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from kommune_ikt.app import create_app
from kommune_ikt.core.auth.actor import SYSTEM
from kommune_ikt.web.edge import db_session
from kommune_ikt.web.idempotency import idempotent
from service_catalog.models import Municipality
from service_catalog.municipalities import add_municipality

pytestmark = pytest.mark.db


class JoinSchema(Schema):
    number = fields.String(required=True)


@pytest.fixture(scope="module")
def probe_app(engine, database_url):
    app = create_app({"ENGINE": engine, "database_url": database_url, "secret_key": "t"})
    blp = Blueprint("probe", __name__)

    @blp.route("/probe-join")
    class ProbeJoin(MethodView):
        @idempotent
        @blp.arguments(JoinSchema)
        @blp.response(201, JoinSchema)
        def post(self, data):
            """Join a municipality (test probe)."""
            return add_municipality(db_session(), SYSTEM, {"number": data["number"]})

    app.extensions["kommune_ikt.api"].register_blueprint(blp, url_prefix="/api/v1")
    return app


@pytest.fixture
def probe(probe_app, connection):
    maker = probe_app.extensions["kommune_ikt.db"].sessionmaker
    maker.configure(bind=connection, join_transaction_mode="create_savepoint")
    return probe_app.test_client()


def count(session, number):
    return session.scalar(
        sa.select(sa.func.count()).select_from(Municipality).where(Municipality.number == number)
    )


def test_retry_with_same_key_replays_and_creates_nothing(probe, create_user, session):
    user = create_user("agent")
    headers = {**user.headers, "Idempotency-Key": "abc-1"}
    first = probe.post("/api/v1/probe-join", headers=headers, json={"number": "1560"})
    again = probe.post("/api/v1/probe-join", headers=headers, json={"number": "1560"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(session, "1560") == 1


def test_same_key_different_body_is_422_on_the_header(probe, create_user, session):
    user = create_user("agent")
    headers = {**user.headers, "Idempotency-Key": "abc-2"}
    assert (
        probe.post("/api/v1/probe-join", headers=headers, json={"number": "1566"}).status_code
        == 201
    )
    other = probe.post("/api/v1/probe-join", headers=headers, json={"number": "1573"})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json["errors"]
    assert count(session, "1573") == 0


def test_same_key_from_another_caller_is_independent(probe, create_user, session):
    first, second = create_user("agent"), create_user("agent")
    body = {"number": "1576"}
    assert (
        probe.post(
            "/api/v1/probe-join", headers={**first.headers, "Idempotency-Key": "k"}, json=body
        ).status_code
        == 201
    )
    # Another caller's first use of "k" really runs: here it conflicts on the number.
    response = probe.post(
        "/api/v1/probe-join", headers={**second.headers, "Idempotency-Key": "k"}, json=body
    )
    assert response.status_code == 409
    assert "Idempotent-Replayed" not in response.headers


def test_failed_first_request_leaves_no_key(probe, create_user, create_municipality):
    user = create_user("agent")
    create_municipality("5061")
    headers = {**user.headers, "Idempotency-Key": "retry-me"}
    assert (
        probe.post("/api/v1/probe-join", headers=headers, json={"number": "5061"}).status_code
        == 409
    )
    # The key was rolled back with the failure, so a corrected retry is a first request.
    assert (
        probe.post("/api/v1/probe-join", headers=headers, json={"number": "1557"}).status_code
        == 201
    )


def test_overlong_key_is_422(probe, create_user):
    user = create_user("agent")
    headers = {**user.headers, "Idempotency-Key": "x" * 201}
    response = probe.post("/api/v1/probe-join", headers=headers, json={"number": "1554"})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["errors"]
