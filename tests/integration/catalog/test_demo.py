"""The catalogue demo: a believable catalogue, loaded idempotently, whose reports add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from kommune_ikt.auth.actor import SYSTEM
from kommune_ikt.demo import load_demo
from service_catalog import cost_reports
from service_catalog.catalogue import budget_year
from service_catalog.demo import SERVICES
from service_catalog.models import Order, Service, SpecialRequest, Subscription

pytestmark = pytest.mark.db


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_demo_loads_once_and_its_report_adds_up(session):
    load_demo(session)
    load_demo(session)  # a second load adds nothing
    assert _count(session, Service) == len(SERVICES)
    assert (_count(session, Order), _count(session, Subscription)) == (4, 2)
    assert _count(session, SpecialRequest) == 2
    report = cost_reports.collaboration_report(session, SYSTEM, budget_year())
    assert len(report.municipalities) == 9
    annual = sum((s.price["annual_cost"] for s in SERVICES if s.tier == "basic"), Decimal(0))
    assert report.totals["basic"] == annual
    assert report.totals["special"] == Decimal("26000.00")  # 40 h × 650


def test_demo_marks_unpublished_figures_as_illustrative(session):
    load_demo(session)
    sd = session.get(Service, "SD")
    sql = session.get(Service, "SERVER-STD")
    assert "Illustrative figure" in sd.description
    assert "published by IKT Nordhordland" in sql.description
