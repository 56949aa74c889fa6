"""The cost report page: the API's figures in the reader's locale, its CSVs, its chart, closed years."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from babel.numbers import format_currency

from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from service_catalog import budget_years, orders, special_requests
from service_catalog.catalogue import budget_year
from service_catalog.models import ServicePrice
from service_catalog.reports import build as cost_reports
from service_catalog.reports import months as cost_months

pytestmark = pytest.mark.db

HOST, OTHER = "1505", "1563"  # Kristiansund, Sunndal
NINE = ("1505", "1554", "1557", "1560", "1563", "1566", "1573", "1576", "5061")


def kr(amount: str | Decimal) -> str:
    """An amount as a Bokmål reader sees it (``1 234,50 kr``, with no-break spaces)."""
    return format_currency(Decimal(amount), "NOK", locale="nb")


@pytest.fixture
def books(session, create_user, create_municipality, make_key, make_service):
    """A year of IKT Orkidé for Kristiansund: two basic services, licences priced per year
    and per month, and one accepted special job."""

    def build(year: int):
        years = tuple(sorted({year, budget_year()}))  # ordering needs this year's price
        for number in NINE:
            create_municipality(number)
        make_key(default=True)
        make_service("SD", "basic", name="Servicedesk", years=years)
        make_service(
            "BACKUP",
            "basic",
            name="Sikkerhetskopi",
            price={"annual_cost": Decimal("100000.01")},
            years=years,
        )
        make_service("SQL-LIC", "optional", name="Lisens SQL database", years=years)
        make_service(
            "M365-LIC",
            "optional",
            name="Microsoft 365",
            price={"unit": "licence", "unit_price": Decimal("99.95"), "period": "month"},
            years=years,
        )
        make_service("KONSULENT", "special", name="Konsulenttime", years=years)
        orderer = create_user("orderer", HOST)
        actor = Actor(orderer.id, Role.ORDERER, HOST, orderer.email)
        for code, quantity, start in (("SQL-LIC", 2, date(year, 7, 1)), ("M365-LIC", 7, None)):
            order = orders.place_order(session, actor, {"service_code": code, "quantity": quantity})
            orders.fulfil_order(session, SYSTEM, order.id, start or date(year, 2, 10))
        request = special_requests.submit_request(session, actor, {"title": "Arkivintegrasjon"})
        special_requests.quote_request(session, SYSTEM, request.id, {"hours": Decimal("40")})
        special_requests.accept_request(session, actor, request.id)
        request.accepted_at = datetime(year, 3, 15, 12, tzinfo=UTC)
        session.commit()
        return orderer

    return build


def _api_report(client, user, year, **query):
    response = client.get(f"/api/v1/cost-reports/{year}", headers=user.headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def test_the_page_shows_the_apis_figures_in_the_readers_locale(sign_in, client, books, this_year):
    orderer = books(this_year)
    api = _api_report(client, orderer, this_year, municipality=HOST)
    response = sign_in(orderer).get("/costs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Kostnader for Kristiansund i {this_year}" in page
    totals = re.findall(r'<dd class="num">(?:<strong>)?([^<]+)<', page)
    assert totals == [kr(api["totals"][k]) for k in ("basic", "optional", "special", "total")]
    for tier in ("basic", "optional", "special"):
        lines = [ln for ln in api["lines"] if ln["tier"] == tier]
        assert lines, tier
        section = page.split(f'id="tier-{tier}"', 1)[1].split("</section>", 1)[0]
        assert section.count("<tr>") - 1 == len(lines)  # a header row, then one per line
        assert kr(api["totals"][tier]) in section.split('class="sum-row"', 1)[1]
        amounts = re.findall(r'<td class="num">([^<]+)</td>\s*<td><details>', section)
        assert amounts == [kr(ln["amount"]) for ln in lines]
    assert "Året er avsluttet" not in page


def test_csv_downloads_are_the_apis_csv_in_both_dialects(sign_in, client, books, this_year):
    orderer = books(this_year)
    browser = sign_in(orderer)
    page = browser.get("/costs").get_data(as_text=True)
    assert f'href="/costs/{this_year}.csv"' in page
    assert f'href="/costs/{this_year}.excel.csv"' in page
    nb = {"Accept-Language": "nb"}
    for path, query in ((".csv", {}), (".excel.csv", {"dialect": "excel-no"})):
        mine = browser.get(f"/costs/{this_year}{path}")
        assert mine.status_code == 200
        assert mine.mimetype == "text/csv"
        assert mine.headers["Content-Disposition"].startswith("attachment; filename=")
        api = client.get(
            f"/api/v1/cost-reports/{this_year}",
            headers={**orderer.headers, **nb, "Accept": "text/csv"},
            query_string=query,
        )
        assert api.status_code == 200
        assert mine.get_data() == api.get_data()
    excel = browser.get(f"/costs/{this_year}.excel.csv")
    assert excel.get_data().startswith("\ufeff".encode())
    assert excel.get_data().decode("utf-8-sig").startswith("År;Kommunenummer;")
    assert (
        f'filename="kostnader-{this_year}-{HOST}-excel.csv"' in excel.headers["Content-Disposition"]
    )


def test_the_months_add_up_to_the_reports_totals_to_the_ore(
    session,
    books,
    this_year,
):
    orderer = books(this_year)
    actor = Actor(orderer.id, Role.ORDERER, HOST, orderer.email)
    report = cost_reports.municipality_report(session, actor, this_year, HOST)
    split = cost_months.split_by_month(report)
    assert split.total().as_money() == report.totals
    # The licences priced per month spread over the months; those priced per year do not.
    assert sum(1 for m in split.months if m.optional) == 11  # from 10 February
    assert split.whole_year.optional > 0 and split.whole_year.basic == 0
    assert split.months[2].special == 40 * 650 * 100  # accepted in March
    for tier in ("basic", "optional", "special"):
        assert sum(split.amounts(tier)) + split.whole_year.as_money()[tier] == report.totals[tier]


def test_the_chart_shows_the_months_by_tier_with_its_table(sign_in, books, this_year):
    orderer = books(this_year)
    page = sign_in(orderer).get("/costs").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in page
    table = page.split('id="cost-chart-caption"', 1)[1].split("</table>", 1)[0]
    for header in ("Måned", "Grunntjenester", "Tilleggstjenester", "Spesialbestillinger"):
        assert f'<th scope="col">{header}</th>' in table
    for label in ("jan", "mar", "des", "Hele året"):
        assert f'<th scope="row">{label}</th>' in table


def test_a_closed_year_shows_its_frozen_figures_after_a_later_price_edit(
    sign_in, session, books, create_user
):
    closed = 2024
    orderer = books(closed)
    browser = sign_in(orderer)
    before = browser.get(f"/costs?year={closed}").get_data(as_text=True)
    assert "Året er avsluttet" not in before
    manager = create_user("catalogue_manager")
    budget_years.close_year(
        session, Actor(manager.id, Role.CATALOGUE_MANAGER, None, manager.email), closed
    )
    session.commit()
    # Behind the API's back (the API refuses it with 409): the price of the closed year.
    session.execute(
        sa.update(ServicePrice)
        .where(ServicePrice.year == closed, ServicePrice.service_code == "SD")
        .values(annual_cost=Decimal("5.00"))
    )
    session.commit()
    after = browser.get(f"/costs?year={closed}").get_data(as_text=True)
    assert "Året er avsluttet" in after

    def figures(page: str) -> list[str]:
        return re.findall(r'<td class="num">[^<]+</td>|<dd class="num">[^<]+', page)

    assert figures(after) == figures(before)
    assert f'<option selected value="{closed}">' in after


def test_it_roles_pick_the_municipality_and_orderers_see_only_their_own(
    sign_in,
    books,
    create_user,
    this_year,
):
    orderer = books(this_year)
    agent = sign_in(create_user("agent"))
    unpicked = agent.get("/costs").get_data(as_text=True)
    assert "Velg en kommune" in unpicked and 'name="municipality"' in unpicked
    picked = agent.get(f"/costs?municipality={OTHER}").get_data(as_text=True)
    assert f"Kostnader for Sunndal i {this_year}" in picked
    assert f'href="/costs/{this_year}.csv?municipality={OTHER}"' in picked
    download = agent.get(f"/costs/{this_year}.csv?municipality={OTHER}")
    assert download.status_code == 200 and f",{OTHER},Sunndal," in download.get_data(as_text=True)
    mine = sign_in(orderer)
    page = mine.get(f"/costs?municipality={OTHER}").get_data(as_text=True)
    assert "Kristiansund" in page and "Sunndal" not in page and 'name="municipality"' not in page
    csv_text = mine.get(f"/costs/{this_year}.csv?municipality={OTHER}").get_data(as_text=True)
    assert "Sunndal" not in csv_text and "Kristiansund" in csv_text


def test_requesters_may_not_read_cost_reports(sign_in, create_user, this_year):
    browser = sign_in(create_user("requester", HOST))
    assert browser.get("/costs").status_code == 403
    assert browser.get(f"/costs/{this_year}.csv").status_code == 403
    assert "Kostnader" not in browser.get("/").get_data(as_text=True)


def test_a_year_without_prices_says_so_and_an_impossible_year_is_refused(
    sign_in,
    create_user,
    this_year,
):
    browser = sign_in(create_user("orderer", HOST))
    unpriced = browser.get("/costs?year=2019")
    assert unpriced.status_code == 200
    assert "2019" in unpriced.get_data(as_text=True)
    assert browser.get("/costs?year=1066").status_code == 422
    assert browser.get("/costs/1066.csv").status_code == 422
