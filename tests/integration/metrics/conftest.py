"""Metrics fixtures: an app whose probes may reach loopback, services, outages."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from kommune_ikt.app import create_app
from metrics.models import Outage
from service_catalog.models import Service
from tests.support.metrics import LOCAL_NETWORKS


@pytest.fixture(scope="session")
def app(engine, database_url):
    return create_app(
        {
            "ENGINE": engine,
            "database_url": database_url,
            "secret_key": "test",
            "auth_failures_per_minute": 10_000,
            "probe_allow_networks": LOCAL_NETWORKS,
            "TESTING": True,
        }
    )


@pytest.fixture
def create_service(session):
    """``create_service("M365", target="0.995", hours="24x7")``: an active basic service."""

    def create(
        code: str = "M365", target: str | None = "0.995", hours: str = "24x7", **values: Any
    ) -> Service:
        existing = session.get(Service, code)
        if existing is not None:
            return existing
        values.setdefault("name", f"Service {code}")
        values.setdefault("tier", "basic")
        values.setdefault("status", "active")
        service = Service(
            code=code,
            availability_target=None if target is None else Decimal(target),
            service_hours=hours,
            **values,
        )
        session.add(service)
        session.commit()
        return service

    return create


@pytest.fixture
def create_outage(session, create_service):
    """``create_outage("M365", start, end, planned=False)``: an outage row, no ticket."""

    def create(
        code: str, started_at: datetime, ended_at: datetime | None = None, **values: Any
    ) -> Outage:
        create_service(code)
        outage = Outage(service_code=code, started_at=started_at, ended_at=ended_at, **values)
        session.add(outage)
        session.commit()
        return outage

    return create
