"""PostgreSQL refusing writes (a read-only database, as a hot standby is): 503 that says so."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from kommune_ikt.app import create_app
from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM
from kommune_ikt.core.db import Database, create_db_engine
from service_catalog.municipalities import add_municipality
from tests.support.databases import PG_ADMIN_URL

pytestmark = [pytest.mark.db, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]


def test_read_only_postgresql_refuses_writes_with_503_and_still_reads(fresh_database):
    engine = create_db_engine(fresh_database)
    with Database(engine).session() as session, session.begin():
        add_municipality(session, SYSTEM, {"number": "1505", "joined_on": date(2019, 1, 1)})
        user = auth_services.create_user(
            session,
            SYSTEM,
            email="kari@kristiansund.example",
            role="requester",
            municipality="1505",
        )
        token = auth_services.issue_token(session, SYSTEM, user.id).secret
    engine.dispose()
    name = make_url(fresh_database).database
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    app = create_app({"database_url": fresh_database, "secret_key": "test"})
    try:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        ticket = {"title": "Skriver", "description": "Papirstopp", "type": "incident",
                  "impact": 3, "urgency": 3}  # fmt: skip
        refused = client.post("/api/v1/tickets", json=ticket, headers=headers)
        assert refused.status_code == 503, refused.get_data(as_text=True)
        assert refused.content_type == "application/problem+json"
        assert "read-only" in refused.json["detail"]
        assert refused.headers["Retry-After"]
        assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    finally:
        app.extensions["kommune_ikt.db"].engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        admin.dispose()
