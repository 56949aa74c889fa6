"""Cost reports over HTTP: rules, sums to the øre, CSV dialects, tenancy, query count."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from service_catalog import orders, special_requests
from service_catalog.models import Municipality, SpecialRequest

pytestmark = pytest.mark.db

HOST, OTHER = "1505", "1563"  # Kristiansund, Sunndal
NINE = ("1505", "1554", "1557", "1560", "1563", "1566", "1573", "1576", "5061")


@pytest.fixture
def year(this_year):
    return this_year


@pytest.fixture
def books(session, create_user, create_municipality, make_key, make_service, year):
    """A year of IKT Orkidé: two basic services, SQL licences for Kristiansund, one special job."""

    def build(members=NINE):
        for number in members:
            create_municipality(number)
        make_key(default=True)
        make_service(
            "SD", "basic", name="Servicedesk", price={"annual_cost": Decimal("1200000.00")}
        )
        make_service(
            "BACKUP", "basic", name="Sikkerhetskopi", price={"annual_cost": Decimal("100000.00")}
        )
        make_service("SQL-LIC", "optional", name="Lisens SQL database")
        make_service("KONSULENT", "special", name="Konsulenttime")
        orderer = create_user("orderer", HOST)
        actor = Actor(orderer.id, Role.ORDERER, HOST, orderer.email)
        order = orders.place_order(session, actor, {"service_code": "SQL-LIC", "quantity": 2})
        orders.fulfil_order(session, SYSTEM, order.id, date(year, 7, 1))
        request = special_requests.submit_request(session, actor, {"title": "Arkivintegrasjon"})
        special_requests.quote_request(session, SYSTEM, request.id, {"hours": Decimal("40")})
        special_requests.accept_request(session, actor, request.id)
        # Accepted in the report's year (the quote is from "now", which may be another year).
        request.accepted_at = datetime(year, 3, 15, 12, tzinfo=UTC)
        session.commit()
        return orderer

    return build


def _get(client, user, url, **headers):
    return client.get(url, headers={**user.headers, **headers})


def test_collaboration_basic_shares_add_up_to_the_annual_cost_to_the_ore(
    client, books, create_user, year
):
    books()
    agent = create_user("agent")
    report = _get(client, agent, f"/api/v1/cost-reports/{year}").json
    rows = report["municipalities"]
    assert [r["municipality"] for r in rows] == sorted(NINE)
    basic = sum(Decimal(r["totals"]["basic"]) for r in rows)
    assert basic == Decimal("1300000.00") == Decimal(report["totals"]["basic"])
    assert report["totals"]["optional"] == "49402.74"  # 2 × 49 000 × 184/365
    assert report["totals"]["special"] == "26000.00"  # 40 h × 650
    assert Decimal(report["totals"]["total"]) == sum(Decimal(r["totals"]["total"]) for r in rows)


def test_municipality_report_lines_say_which_rule_made_them(client, books, year):
    orderer = books()
    report = _get(client, orderer, f"/api/v1/cost-reports/{year}?municipality={HOST}").json
    assert (report["municipality"], report["name"]) == (HOST, "Kristiansund")
    rules = {line["rule"] for line in report["lines"]}
    assert rules == {"basic.allocation", "optional.year", "special.quote"}
    basic = [line for line in report["lines"] if line["tier"] == "basic"]
    assert len(basic) == 24  # two services × twelve months
    assert "key 'IKTNH 1/3 + 2/3'" in basic[0]["description"]
    assert "24404/" in basic[0]["description"]  # Kristiansund's population, checkable by hand
    total = sum(Decimal(line["amount"]) for line in report["lines"])
    assert Decimal(report["totals"]["total"]) == total


def test_municipality_totals_match_its_collaboration_row(client, books, create_user, year):
    orderer = books()
    agent = create_user("agent")
    own = _get(client, orderer, f"/api/v1/cost-reports/{year}").json  # orderer: own by default
    rows = _get(client, agent, f"/api/v1/cost-reports/{year}").json["municipalities"]
    assert own["totals"] == next(r["totals"] for r in rows if r["municipality"] == HOST)


def test_a_member_leaving_1_july_pays_basic_for_six_months(
    client, books, session, create_user, year
):
    books()
    session.get(Municipality, "1573").left_on = date(year, 7, 1)  # Smøla
    session.commit()
    agent = create_user("agent")
    report = _get(client, agent, f"/api/v1/cost-reports/{year}?municipality=1573").json
    months = sorted({line["month"] for line in report["lines"]})
    assert months == [f"{year}-{m:02d}" for m in range(1, 7)]
    collaboration = _get(client, agent, f"/api/v1/cost-reports/{year}").json
    assert collaboration["totals"]["basic"] == "1300000.00"


def test_csv_is_rfc4180_utf8_with_norwegian_letters(client, books, create_user, year):
    books()
    agent = create_user("agent")
    response = _get(client, agent, f"/api/v1/cost-reports/{year}", Accept="text/csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert not text.startswith("\ufeff")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == [
        "year",
        "municipality",
        "municipality_name",
        "basic",
        "optional",
        "special",
        "total",
    ]
    assert [str(year), "1573", "Smøla"] == rows[1 + sorted(NINE).index("1573")][:3]
    assert rows[-1][2] == "Sum" and rows[-1][3] == "1300000.00"


def test_csv_excel_no_has_bom_semicolons_and_decimal_commas(client, books, year):
    orderer = books()
    response = _get(
        client,
        orderer,
        f"/api/v1/cost-reports/{year}?dialect=excel-no",
        Accept="text/csv",
        **{"Accept-Language": "nb"},
    )
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0][:4] == ["År", "Kommunenummer", "Kommune", "Måned"]
    special = next(r for r in rows if r[6] == "special")
    assert special[-1] == "26000,00"
    assert special[-2] == "40"  # hours
    basic = next(r for r in rows if r[6] == "basic")
    assert basic[-2].startswith("0,")  # the share


@pytest.mark.parametrize(
    ("language", "headings"),
    [
        ("sv", ["År", "Kommunnummer", "Kommun", "Månad"]),
        ("nn", ["År", "Kommunenummer", "Kommune", "Månad"]),
        ("en", ["Year", "Municipality number", "Municipality", "Month"]),
    ],
)
def test_csv_excel_headings_follow_the_readers_language(client, books, year, language, headings):
    orderer = books()
    text = _get(
        client,
        orderer,
        f"/api/v1/cost-reports/{year}?dialect=excel-no",
        Accept="text/csv",
        **{"Accept-Language": language},
    ).get_data(as_text=True)
    assert text.lstrip("\ufeff").split("\r\n")[0].split(";")[:4] == headings


def test_csv_excel_keeps_months_and_municipality_numbers_as_text(client, books, create_user, year):
    orderer = books()
    text = _get(
        client, orderer, f"/api/v1/cost-reports/{year}?dialect=excel-no", Accept="text/csv"
    ).get_data(as_text=True)
    lines = text.lstrip("\ufeff").split("\r\n")[1:-1]
    cells = [line.split(";") for line in lines]
    # Written as Excel's text formula, unquoted: ="1573";...;="2024-01"
    assert all(c[1] == f'="{orderer.municipality}"' for c in cells)
    monthly = [c[3] for c in cells if c[3]]
    assert monthly and all(re.fullmatch(r'="\d{4}-\d{2}"', m) for m in monthly)
    agent = create_user("agent")
    totals = _get(
        client, agent, f"/api/v1/cost-reports/{year}?dialect=excel-no", Accept="text/csv"
    ).get_data(as_text=True)
    rows = [line.split(";") for line in totals.lstrip("\ufeff").split("\r\n")[1:-1]]
    assert all(re.fullmatch(r'="\d{4}"', r[1]) for r in rows[:-1])
    assert rows[-1][1] == ""  # the collaboration's sums have no municipality


def test_csv_rfc4180_keeps_plain_values(client, books, year):
    orderer = books()
    text = _get(client, orderer, f"/api/v1/cost-reports/{year}", Accept="text/csv").get_data(
        as_text=True
    )
    assert '="' not in text
    assert text.split("\r\n")[0].startswith("year,municipality,")


def test_municipality_csv_has_one_row_per_line(client, books, year):
    orderer = books()
    report = _get(client, orderer, f"/api/v1/cost-reports/{year}").json
    text = _get(client, orderer, f"/api/v1/cost-reports/{year}", Accept="text/csv").get_data(
        as_text=True
    )
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 1 + len(report["lines"])
    assert [r[-1] for r in rows[1:]] == [line["amount"] for line in report["lines"]]


def test_orderer_cannot_read_another_municipalitys_report(client, books, year):
    orderer = books()
    response = _get(client, orderer, f"/api/v1/cost-reports/{year}?municipality={OTHER}")
    assert response.status_code == 403


def test_requester_cannot_read_cost_reports(client, books, create_user, year):
    books()
    requester = create_user("requester", HOST)
    assert _get(client, requester, f"/api/v1/cost-reports/{year}").status_code == 403


def test_unknown_municipality_is_422(client, books, create_user, year):
    books()
    agent = create_user("agent")
    response = _get(client, agent, f"/api/v1/cost-reports/{year}?municipality=9999")
    assert response.status_code == 422
    assert "municipality" in response.json["errors"]


def test_year_without_prices_is_422(client, books, create_user, year):
    books()
    agent = create_user("agent")
    response = _get(client, agent, f"/api/v1/cost-reports/{year + 5}")
    assert response.status_code == 422
    assert "year" in response.json["errors"]


def test_running_subscription_without_price_next_year_is_422(
    client, books, make_service, create_user, year
):
    books()
    make_service("OTHER", "optional", years=(year + 1,))  # next year has some price...
    agent = create_user("agent")
    response = _get(client, agent, f"/api/v1/cost-reports/{year + 1}")
    assert response.status_code == 422  # ...but SQL-LIC, still running, has none
    assert "SQL-LIC" in response.json["detail"]


def test_fixed_key_missing_a_member_names_the_municipality(client, books, create_user, year):
    # Refused when it is put to use (issue 15), so no report can meet it later.
    books()
    shares = {n: "0.125" for n in NINE if n != "1576"}  # Aure left out
    manager = create_user("catalogue_manager")
    response = client.post(
        "/api/v1/allocation-keys",
        headers=manager.headers,
        json={"name": "Eierandeler", "fixed_shares": shares},
    )
    assert response.status_code == 201
    response = client.put(
        f"/api/v1/services/SD/prices/{year}",
        headers=manager.headers,
        json={"annual_cost": "1000.00", "allocation_key": "Eierandeler"},
    )
    assert response.status_code == 422
    assert "fixed_shares.1576" in response.json["errors"]
    assert response.json["municipality"] == "1576"
    agent = create_user("agent")
    assert _get(client, agent, f"/api/v1/cost-reports/{year}").status_code == 200


def test_delivered_special_is_charged_at_actual_hours(client, books, session, create_user, year):
    books()
    request = session.query(SpecialRequest).one()
    request.status = "delivered"
    request.actual_hours = Decimal("37.5")
    session.commit()
    agent = create_user("agent")
    report = _get(client, agent, f"/api/v1/cost-reports/{year}?municipality={HOST}").json
    special = [line for line in report["lines"] if line["tier"] == "special"]
    assert [(s["rule"], s["amount"]) for s in special] == [("special.actual", "24375.00")]


def test_query_count_does_not_grow_with_municipalities(
    client, books, create_user, create_municipality, count_queries, year
):
    books(NINE[:3])
    agent = create_user("agent")
    url = f"/api/v1/cost-reports/{year}"

    def statements(path):
        with count_queries() as seen:
            assert client.get(path, headers=agent.headers).status_code == 200
        return len(seen)

    statements(url)  # the first request also records the token's last use
    few = (statements(url), statements(f"{url}?municipality={HOST}"))
    for number in NINE[3:]:
        create_municipality(number)
    assert (statements(url), statements(f"{url}?municipality={HOST}")) == few
