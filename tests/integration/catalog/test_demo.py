"""The catalogue demo: a believable catalogue, loaded idempotently, whose reports add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import SYSTEM
from kommune_ikt.core.auth.models import User
from kommune_ikt.demo import DEMO_USERS, _domain_loaders
from service_catalog.catalogue import budget_year
from service_catalog.demo import SERVICES, load_catalogue_activity, load_catalogue_demo
from service_catalog.models import Order, Service, SpecialRequest, Subscription
from service_catalog.reports import build as cost_reports

pytestmark = pytest.mark.db
MODELS = (Service, Order, Subscription, SpecialRequest)


def _counts(session) -> list[int]:
    return [session.scalar(sa.select(sa.func.count()).select_from(m)) for m in MODELS]


def _load(session) -> None:
    """The catalogue's part of ``kommune-ikt demo load`` (without the other domains')."""
    load_catalogue_demo(session)
    users = {}
    for email, role, municipality, name in DEMO_USERS:
        users[email] = session.scalar(
            sa.select(User).where(User.email == email)
        ) or auth_services.create_user(
            session, SYSTEM, email=email, role=role, municipality=municipality, name=name
        )
    load_catalogue_activity(session, users)


def test_demo_activity_is_registered_with_the_demo_loader():
    assert load_catalogue_activity in _domain_loaders()


def test_demo_loads_once_and_its_report_adds_up(session):
    _load(session)
    counts = _counts(session)
    _load(session)  # a second load adds nothing
    assert _counts(session) == counts
    assert counts[0] == len(SERVICES)
    subscriptions = session.execute(
        sa.select(
            Subscription.municipality_number, Subscription.service_code, Subscription.quantity
        ).order_by(Subscription.service_code)
    ).all()
    assert [tuple(s) for s in subscriptions] == [("1505", "LIS-SQL", 2), ("1505", "SERVER-STD", 3)]
    report = cost_reports.collaboration_report(session, SYSTEM, budget_year())
    assert len(report.municipalities) == 9
    annual = sum((s.price["annual_cost"] for s in SERVICES if s.tier == "basic"), Decimal(0))
    assert report.totals["basic"] == annual
    assert report.totals["special"] == Decimal("26000.00")  # 40 h × 650


def test_demo_marks_unpublished_figures_as_illustrative(session):
    load_catalogue_demo(session)
    assert "Illustrative figure" in session.get(Service, "SD").description
    assert "published by IKT Nordhordland" in session.get(Service, "SERVER-STD").description


def test_demo_members_take_mail_from_the_demo_users_domains(session):
    from service_catalog.models import Municipality

    _load(session)
    assert session.get(Municipality, "1505").email_domains == ["kristiansund.demo"]
    assert session.get(Municipality, "1563").email_domains == ["sunndal.demo"]
    for email, _role, municipality, _name in DEMO_USERS:
        if municipality is not None:
            domains = session.get(Municipality, municipality).email_domains
            assert email.split("@")[1] in domains
