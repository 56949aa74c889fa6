"""Factories for the metrics tests: services from the catalogue, outages."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from metrics.models import Outage
from service_catalog.models import Service


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
