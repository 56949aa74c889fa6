"""A Swedish collaboration's cost reports explain their amounts in SEK (issue 15, item 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from service_catalog import charges, special_requests
from service_catalog.reports import build as cost_reports

pytestmark = pytest.mark.db

HOST = "1505"


def test_charges_explain_amounts_in_the_given_currency():
    from datetime import date

    price = charges.UnitPrice(
        unit="user", unit_price=Decimal("10.00"), period="month", setup_fee=Decimal("5.00")
    )
    lines = charges.optional_charges(2026, price, date(2026, 1, 1), [], None, "SEK")
    assert lines and all("SEK" in c.basis and "NOK" not in c.basis for c in lines)
    special = charges.special_charge(
        Decimal("100.00"), Decimal("2"), Decimal("50.00"), None, False, "SEK"
    )
    assert "SEK" in special.basis and "NOK" not in special.basis


def test_a_sek_deployments_report_lines_say_sek(
    session, create_municipality, create_user, make_key, make_service, this_year
):
    create_municipality(HOST)
    make_key(default=True)
    make_service("DRIFT", "basic", price={"annual_cost": Decimal("1200.00")})
    make_service("KONSULENT", "special", name="Konsulenttime")
    orderer = create_user("orderer", HOST)
    actor = Actor(orderer.id, Role.ORDERER, HOST, orderer.email)
    request = special_requests.submit_request(session, actor, {"title": "Ny portal"})
    special_requests.quote_request(session, SYSTEM, request.id, {"hours": Decimal("2")})
    special_requests.accept_request(session, actor, request.id)
    report = cost_reports.municipality_report(session, actor, this_year, HOST, "SEK")
    descriptions = [line.description for line in report.lines]
    assert {line.tier for line in report.lines} == {"basic", "special"}
    assert all("SEK" in d and "NOK" not in d for d in descriptions), descriptions
    default = cost_reports.municipality_report(session, actor, this_year, HOST)
    assert all("NOK" in line.description for line in default.lines)


def test_excel_headings_name_the_currency_on_money_columns_only():
    from service_catalog.reports.csv_export import LINE_COLUMNS, MONEY_COLUMNS, Dialect, _header

    headings = _header(LINE_COLUMNS, Dialect.EXCEL_NO, "nb", "SEK")
    for column, heading in zip(LINE_COLUMNS, headings, strict=True):
        assert heading.endswith("(SEK)") == (column in MONEY_COLUMNS), heading
    assert _header(LINE_COLUMNS, Dialect.RFC4180, "nb", "SEK") == list(LINE_COLUMNS)
