"""Books that never change behind a finance officer's back (issue 15, items 1-7).

Populations per year, closed budget years served from frozen figures, leaving
ends charges, municipal changes never backwards (and all kept), unallocated
months reported, keys complete whenever they are in use, participants.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth.actor import SYSTEM, Actor, Role
from service_catalog import orders
from service_catalog.models import (
    AllocationKey,
    Municipality,
    MunicipalityPopulation,
    Order,
    ServicePrice,
    SpecialRequest,
    SubscriptionChange,
)
from service_catalog.municipalities import today
from tests.support.catalog import CLOSED, ORKIDE

pytestmark = pytest.mark.db

HOST, AVEROY, SUNNDAL = "1505", "1554", "1563"


def _put(client, user, url, body, **headers):
    return client.put(url, headers={**user.headers, **headers}, json=body)


def _etag_patch(client, user, url, body):
    etag = client.get(url, headers=user.headers).headers["ETag"]
    return client.patch(url, headers={**user.headers, "If-Match": etag}, json=body)


# --- 1. populations per year -------------------------------------------------------------


def test_shipped_figures_are_loaded_as_their_years(client, create_user):
    user = create_user("requester", HOST)
    create_user("requester", "2161")  # Ljusdal, IT Hälsingland (SCB 2025)
    norway = client.get(f"/api/v1/municipalities/{HOST}/populations/2024", headers=user.headers)
    assert norway.status_code == 200
    assert norway.json["year"] == 2024 and norway.json["population"] == 24404
    assert "SSB" in norway.json["source"]
    sweden = client.get("/api/v1/municipalities/2161/populations/2025", headers=user.headers)
    assert (sweden.json["year"], sweden.json["population"]) == (2025, 18434)
    missing = client.get(f"/api/v1/municipalities/{HOST}/populations/2023", headers=user.headers)
    assert missing.status_code == 404


def test_admin_records_a_year_and_the_municipality_shows_the_latest(client, create_user):
    admin = create_user("admin")
    orderer = create_user("orderer", HOST)
    url = f"/api/v1/municipalities/{HOST}/populations/2025"
    assert _put(client, orderer, url, {"population": 24500}).status_code == 403
    response = _put(client, admin, url, {"population": 24500, "source": "SSB 1 Jan 2025"})
    assert response.status_code == 200, response.json
    assert response.json == {"year": 2025, "population": 24500, "source": "SSB 1 Jan 2025"}
    shown = client.get(f"/api/v1/municipalities/{HOST}", headers=orderer.headers).json
    assert (shown["population"], shown["population_year"]) == (24500, 2025)
    listed = client.get(f"/api/v1/municipalities/{HOST}/populations", headers=orderer.headers)
    assert [p["year"] for p in listed.json["items"]] == [2024, 2025]
    bad = _put(client, admin, url, {"population": -1})
    assert bad.status_code == 422 and "population" in bad.json["errors"]


@pytest.fixture
def default_year_key(make_key):
    """IKTNH's key naming no population year: budget year Y uses the figures of Y - 1."""
    return make_key("IKTNH Y-1", population_year=None, default=True)


def test_key_without_year_uses_the_year_before_and_later_figures_change_nothing(
    client, create_user, create_municipality, default_year_key, make_service
):
    for number in ORKIDE:
        create_municipality(number)
    make_service("SD", "basic", price={"annual_cost": Decimal("1200000.00")}, years=(2025,))
    agent, admin = create_user("agent"), create_user("admin")
    url = f"/api/v1/cost-reports/2025?municipality={AVEROY}"
    before = client.get(url, headers=agent.headers)
    assert before.status_code == 200, before.json
    assert "(2024)" in before.json["lines"][0]["description"]
    # Averøy's 2025 figure: budget year 2025 uses 2024's, so nothing moves.
    put = _put(
        client, admin, f"/api/v1/municipalities/{AVEROY}/populations/2025", {"population": 1}
    )
    assert put.status_code == 200
    assert client.get(url, headers=agent.headers).json == before.json


def test_a_missing_figure_is_422_naming_municipality_and_year(
    client, create_user, create_municipality, default_year_key, make_service, this_year
):
    for number in ORKIDE:
        create_municipality(number)
    make_service("SD", "basic")  # this year's price; no member has last year's figure
    agent = create_user("agent")
    response = client.get(f"/api/v1/cost-reports/{this_year}", headers=agent.headers)
    assert response.status_code == 422
    assert response.json["population_year"] == this_year - 1
    assert response.json["municipality"] == HOST
    assert str(this_year - 1) in response.json["detail"] and HOST in response.json["detail"]


def test_a_key_names_its_population_year(client, create_user, make_key):
    manager = create_user("catalogue_manager", None)
    create_user("requester", HOST)
    body = {"name": "SSB 2024", "equal_weight": "0.5", "population_weight": "0.5"}
    response = client.post(
        "/api/v1/allocation-keys", headers=manager.headers, json={**body, "population_year": 2024}
    )
    assert response.status_code == 201 and response.json["population_year"] == 2024
    fixed = {"name": "Fast", "fixed_shares": {HOST: "1"}, "population_year": 2024}
    refused = client.post("/api/v1/allocation-keys", headers=manager.headers, json=fixed)
    assert refused.status_code == 422 and "population_year" in refused.json["errors"]


# --- 2. closing a budget year: the worked example -------------------------------------------


def _all_figures(client, user, year):
    """Every figure of a year: the collaboration report and each member's, JSON and CSV."""
    out = {}
    for accept in ("application/json", "text/csv"):
        response = client.get(
            f"/api/v1/cost-reports/{year}", headers={**user.headers, "Accept": accept}
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        out[("*", accept)] = response.get_data(as_text=True)
        for number in ORKIDE:
            response = client.get(
                f"/api/v1/cost-reports/{year}?municipality={number}",
                headers={**user.headers, "Accept": accept},
            )
            assert response.status_code == 200
            out[(number, accept)] = response.get_data(as_text=True)
    return out


def test_a_closed_year_stays_put_to_the_ore_after_every_kind_of_edit(
    client, session, create_user, orkide_2024, this_year
):
    manager, admin, agent = (
        create_user("catalogue_manager"),
        create_user("admin"),
        create_user("agent"),
    )
    before = _all_figures(client, agent, CLOSED)
    collaboration = client.get(f"/api/v1/cost-reports/{CLOSED}", headers=agent.headers).json
    assert collaboration["totals"]["basic"] == "1300000.01"
    averoy_before = next(r for r in collaboration["municipalities"] if r["municipality"] == AVEROY)

    closed = client.post(f"/api/v1/budget-years/{CLOSED}/close", headers=manager.headers)
    assert closed.status_code == 200, closed.json
    assert closed.json["state"] == "closed"
    again = client.post(f"/api/v1/budget-years/{CLOSED}/close", headers=manager.headers)
    assert again.status_code == 409
    years = client.get("/api/v1/budget-years", headers=agent.headers).json["items"]
    assert {y["year"]: y["state"] for y in years} == {CLOSED: "closed", this_year: "open"}

    # Edits through the API that would change 2024 are refused with 409 ...
    refused = [
        _put(client, admin, f"/api/v1/municipalities/{AVEROY}/populations/2024", {"population": 1}),
        _put(
            client,
            manager,
            "/api/v1/allocation-keys/IKTNH 1/3 + 2/3",
            {"equal_weight": "0.5", "population_weight": "0.5", "population_year": 2024},
        ),
        _put(client, manager, f"/api/v1/services/SD/prices/{CLOSED}", {"annual_cost": "1.00"}),
        _put(client, manager, f"/api/v1/services/SD/participants/{CLOSED}", {"municipalities": [HOST]}),
        _etag_patch(client, admin, f"/api/v1/municipalities/{AVEROY}", {"left_on": f"{CLOSED}-07-01"}),
        _etag_patch(client, admin, f"/api/v1/municipalities/{AVEROY}", {"joined_on": f"{CLOSED}-02-01"}),
        _etag_patch(
            client,
            agent,
            f"/api/v1/subscriptions/{orkide_2024}",
            {"quantity": 5, "effective_on": f"{CLOSED}-06-01"},
        ),
        _etag_patch(client, agent, f"/api/v1/subscriptions/{orkide_2024}", {"end_on": f"{CLOSED}-09-01"}),
    ]  # fmt: skip
    special = session.scalar(sa.select(SpecialRequest.id))
    refused.append(
        _etag_patch(client, manager, f"/api/v1/special-requests/{special}", {"actual_hours": "1"})
    )
    assert [r.status_code for r in refused] == [409] * len(refused), [r.json for r in refused]

    # ... edits that touch later years only go through ...
    allowed = [
        _put(client, admin, f"/api/v1/municipalities/{AVEROY}/populations/2025", {"population": 1}),
        _put(client, manager, f"/api/v1/services/SD/prices/{this_year}", {"annual_cost": "9.00"}),
        _etag_patch(client, admin, f"/api/v1/municipalities/{AVEROY}", {"left_on": f"{this_year}-07-01"}),
    ]  # fmt: skip
    assert [r.status_code for r in allowed] == [200] * len(allowed), [r.json for r in allowed]

    # ... and even edits behind the API's back (population, key, price, membership,
    # subscriptions) leave the closed year's figures as they were frozen.
    session.execute(
        sa.update(MunicipalityPopulation)
        .where(MunicipalityPopulation.municipality_number == AVEROY)
        .values(population=999_999)
    )
    session.execute(
        sa.update(AllocationKey).values(equal_weight=Decimal("1"), population_weight=Decimal("0"))
    )
    session.execute(
        sa.update(ServicePrice)
        .where(ServicePrice.year == CLOSED, ServicePrice.service_code == "SD")
        .values(annual_cost=Decimal("5"))
    )
    session.execute(
        sa.update(Municipality)
        .where(Municipality.number == "1573")
        .values(left_on=date(CLOSED, 4, 1))
    )
    session.execute(sa.update(SubscriptionChange).values(quantity=50))
    session.commit()
    after = _all_figures(client, agent, CLOSED)
    assert after == before
    row = next(
        r
        for r in client.get(f"/api/v1/cost-reports/{CLOSED}", headers=agent.headers).json[
            "municipalities"
        ]
        if r["municipality"] == AVEROY
    )
    assert row == averoy_before
    # The open year does move with the edits: it is not frozen.
    assert (
        client.get(f"/api/v1/cost-reports/{this_year}", headers=agent.headers).json["totals"][
            "basic"
        ]
        == "100009.01"
    )


def test_closing_is_for_catalogue_managers_and_needs_a_priced_year(
    client, create_user, orkide_2024
):
    orderer = create_user("orderer", HOST)
    agent = create_user("agent")
    manager = create_user("catalogue_manager")
    assert (
        client.post("/api/v1/budget-years/2024/close", headers=orderer.headers).status_code == 403
    )
    assert client.post("/api/v1/budget-years/2024/close", headers=agent.headers).status_code == 403
    unpriced = client.post("/api/v1/budget-years/2019/close", headers=manager.headers)
    assert unpriced.status_code == 422


def test_a_member_that_leaves_later_still_reads_its_closed_year(
    client, create_user, orkide_2024, this_year
):
    manager, admin = create_user("catalogue_manager"), create_user("admin")
    orderer = create_user("orderer", SUNNDAL)
    url = f"/api/v1/cost-reports/{CLOSED}?municipality={SUNNDAL}"
    before = client.get(url, headers=orderer.headers).json
    client.post(f"/api/v1/budget-years/{CLOSED}/close", headers=manager.headers)
    left = _etag_patch(
        client, admin, f"/api/v1/municipalities/{SUNNDAL}", {"left_on": f"{this_year}-01-01"}
    )
    assert left.status_code == 200, left.json
    assert client.get(url, headers=orderer.headers).json == before


# --- 3. leaving ends subscriptions and cancels open orders ------------------------------------


def test_leaving_ends_subscriptions_that_day_and_cancels_open_orders(
    client, session, create_user, make_service, create_municipality, this_year
):
    for number in ORKIDE:
        create_municipality(number)
    make_service("SQL-LIC", "optional", years=(this_year, this_year + 1))
    make_service("OWA", "optional", years=(this_year, this_year + 1))
    orderer = create_user("orderer", SUNNDAL)
    requester = create_user("requester", SUNNDAL)
    as_orderer = Actor(orderer.id, Role.ORDERER, SUNNDAL, orderer.email)
    as_requester = Actor(requester.id, Role.REQUESTER, SUNNDAL, requester.email)
    running = orders.place_order(session, as_orderer, {"service_code": "SQL-LIC", "quantity": 2})
    running = orders.fulfil_order(session, SYSTEM, running.id, date(this_year, 2, 1))
    later = orders.place_order(session, as_orderer, {"service_code": "OWA", "quantity": 3})
    later = orders.fulfil_order(session, SYSTEM, later.id, date(this_year + 1, 3, 1))
    approved = orders.place_order(session, as_orderer, {"service_code": "OWA", "quantity": 1})
    pending = orders.place_order(session, as_requester, {"service_code": "OWA", "quantity": 1})
    session.commit()
    admin, agent = create_user("admin"), create_user("agent")
    left_on = f"{this_year + 1}-01-01"
    response = _etag_patch(client, admin, f"/api/v1/municipalities/{SUNNDAL}", {"left_on": left_on})
    assert response.status_code == 200, response.json
    subs = client.get(f"/api/v1/subscriptions?municipality={SUNNDAL}", headers=agent.headers).json[
        "items"
    ]
    ends = {s["id"]: s["end_on"] for s in subs}
    assert ends[running.subscription_id] == left_on
    # One that would only have started after leaving never runs.
    assert ends[later.subscription_id] == f"{this_year + 1}-03-01"
    for order_id in (approved.id, pending.id):
        order = client.get(f"/api/v1/orders/{order_id}", headers=agent.headers).json
        assert order["status"] == "cancelled"
        assert "leaves" in order["reason"]
    log = client.get(
        f"/api/v1/subscriptions/{running.subscription_id}/changes", headers=agent.headers
    ).json["items"]
    assert log[-1]["source"] == "left" and log[-1]["new_value"] == left_on
    assert log[-1]["changed_by"] == admin.id
    # The optional charges stop with the membership.
    next_year = client.get(
        f"/api/v1/cost-reports/{this_year + 1}?municipality={SUNNDAL}", headers=agent.headers
    )
    assert next_year.status_code == 422 or next_year.json["totals"]["optional"] == "0.00"
    assert session.get(Order, approved.id) is not None


# --- 4. municipal changes take effect today or later; every change kept --------------------------


@pytest.fixture
def running(session, create_user, make_service, this_year):
    """Kristiansund's 2 SQL licences from 1 January, ordered by its orderer."""
    make_service("SQL-LIC", "optional")
    orderer = create_user("orderer", HOST)
    actor = Actor(orderer.id, Role.ORDERER, HOST, orderer.email)
    order = orders.place_order(session, actor, {"service_code": "SQL-LIC", "quantity": 2})
    order = orders.fulfil_order(session, SYSTEM, order.id, date(this_year, 1, 1))
    session.commit()
    return order.subscription_id


def test_orderer_cannot_rewrite_billed_months(client, create_user, running):
    orderer = create_user("orderer", HOST)
    url = f"/api/v1/subscriptions/{running}"
    yesterday = (today() - timedelta(days=1)).isoformat()
    ended = _etag_patch(client, orderer, url, {"end_on": yesterday})
    assert ended.status_code == 422 and "end_on" in ended.json["errors"]
    backdated = _etag_patch(client, orderer, url, {"quantity": 9, "effective_on": yesterday})
    assert backdated.status_code == 422 and "effective_on" in backdated.json["errors"]
    now = _etag_patch(client, orderer, url, {"end_on": today().isoformat()})
    assert now.status_code == 200, now.json
    # Reopening an end already passed is backwards too.
    agent = create_user("agent")
    assert _etag_patch(client, agent, url, {"end_on": yesterday}).status_code == 200
    reopened = _etag_patch(client, orderer, url, {"end_on": None})
    assert reopened.status_code == 422 and "end_on" in reopened.json["errors"]


def test_it_may_correct_history_and_every_change_is_kept(client, create_user, running, this_year):
    agent = create_user("agent")
    orderer = create_user("orderer", HOST)
    url = f"/api/v1/subscriptions/{running}"
    past = f"{this_year}-03-01"
    corrected = _etag_patch(client, agent, url, {"quantity": 3, "effective_on": past})
    assert corrected.status_code == 200, corrected.json
    later = (today() + timedelta(days=10)).isoformat()
    assert _etag_patch(client, orderer, url, {"end_on": later}).status_code == 200
    log = client.get(f"{url}/changes", headers=orderer.headers)
    assert log.status_code == 200
    items = log.json["items"]
    assert [(i["field"], i["old_value"], i["new_value"], i["source"]) for i in items] == [
        ("quantity", None, "2", "order"),
        ("quantity", "2", "3", "edit"),
        ("end_on", None, later, "edit"),
    ]
    assert items[1]["changed_by"] == agent.id and items[1]["effective_on"] == past
    assert items[2]["changed_by"] == orderer.id and items[2]["changed_at"]
    stranger = create_user("orderer", SUNNDAL)
    assert client.get(f"{url}/changes", headers=stranger.headers).status_code == 404


# --- 5. unallocated months ------------------------------------------------------------------------


def test_basic_cost_of_months_with_no_member_is_reported_unallocated(
    client, create_user, create_municipality, make_key, make_service, this_year
):
    year = this_year + 1
    for number in ("1505", "1554", "1557"):
        create_municipality(number, joined_on=date(year, 4, 15))
    make_key(default=True)
    make_service("SD", "basic", price={"annual_cost": Decimal("1200000.00")}, years=(year,))
    agent = create_user("agent")
    report = client.get(f"/api/v1/cost-reports/{year}", headers=agent.headers).json
    # 1 Jan, 1 Feb, 1 Mar and 1 Apr have no member: four months nobody carries.
    assert [(u["service_code"], u["month"], u["amount"]) for u in report["unallocated"]] == [
        ("SD", f"{year}-{m:02d}", "100000.00") for m in (1, 2, 3, 4)
    ]
    carried = sum(Decimal(r["totals"]["basic"]) for r in report["municipalities"])
    assert carried == Decimal("800000.00")
    assert report["totals"]["basic"] == "1200000.00"
    assert report["totals"]["total"] == "1200000.00"
    text = client.get(
        f"/api/v1/cost-reports/{year}", headers={**agent.headers, "Accept": "text/csv"}
    ).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["municipality_name"] for r in rows if not r["municipality"]] == [
        f"Unallocated SD {year}-{m:02d}" for m in (1, 2, 3, 4)
    ] + ["Sum"]
    assert rows[-1]["basic"] == "1200000.00"


# --- 6. keys complete whenever in use --------------------------------------------------------------


def test_a_new_member_without_a_share_in_a_key_in_use_is_refused(client, create_user, owned):
    admin = create_user("admin")
    response = client.post("/api/v1/municipalities", headers=admin.headers, json={"number": "1560"})
    assert response.status_code == 422
    assert response.json["municipality"] == "1560"
    assert "fixed_shares.1560" in response.json["errors"]
    listed = client.get("/api/v1/municipalities", headers=admin.headers).json
    items = listed["items"] if isinstance(listed, dict) else listed
    assert "1560" not in {m["number"] for m in items}


def test_rejoining_without_a_share_is_refused_and_the_report_still_works(
    client, session, create_user, create_municipality, owned, this_year
):
    create_municipality("1560", joined_on=date(2019, 1, 1), left_on=date(this_year - 1, 1, 1))
    admin, agent = create_user("admin"), create_user("agent")
    response = _etag_patch(client, admin, "/api/v1/municipalities/1560", {"left_on": None})
    assert response.status_code == 422 and response.json["municipality"] == "1560"
    assert client.get(f"/api/v1/cost-reports/{this_year}", headers=agent.headers).status_code == 200


def test_a_key_in_use_cannot_lose_a_members_share(client, create_user, owned):
    manager = create_user("catalogue_manager")
    response = _put(
        client,
        manager,
        "/api/v1/allocation-keys/Eierandeler",
        {"fixed_shares": {"1505": "0.6", "1554": "0.4"}},
    )
    assert response.status_code == 422
    assert response.json["municipality"] == "1557"


# --- 7. participants per service and year --------------------------------------------------------


def test_a_basic_service_shared_by_some_members_only(
    client, create_user, create_municipality, make_key, make_service, this_year
):
    for number in ORKIDE:
        create_municipality(number)
    make_key(default=True)
    make_service("HELSE", "basic", price={"annual_cost": Decimal("400000.00")})
    make_service("SQL-LIC", "optional")
    manager, agent = create_user("catalogue_manager"), create_user("agent")
    url = f"/api/v1/services/HELSE/participants/{this_year}"
    default = client.get(url, headers=agent.headers).json
    assert default["default"] is True and default["municipalities"] == sorted(ORKIDE)
    four = ["1505", "1554", "1557", "1560"]
    response = _put(client, manager, url, {"municipalities": four})
    assert response.status_code == 200, response.json
    assert response.json == {
        "service_code": "HELSE",
        "year": this_year,
        "municipalities": four,
        "default": False,
    }
    report = client.get(f"/api/v1/cost-reports/{this_year}", headers=agent.headers).json
    basic = {r["municipality"]: Decimal(r["totals"]["basic"]) for r in report["municipalities"]}
    assert sum(basic[n] for n in four) == Decimal("400000.00")
    assert all(basic[n] == 0 for n in ORKIDE if n not in four)
    lines = client.get(
        f"/api/v1/cost-reports/{this_year}?municipality=1505", headers=agent.headers
    ).json["lines"]
    assert "shared by the 4 members" in lines[0]["description"]
    # Only basic services have participants; only known members of that year take part.
    optional = _put(
        client,
        manager,
        f"/api/v1/services/SQL-LIC/participants/{this_year}",
        {"municipalities": four},
    )
    assert optional.status_code == 409
    unknown = _put(client, manager, url, {"municipalities": ["1505", "0301"]})
    assert unknown.status_code == 422 and "municipalities.0301" in unknown.json["errors"]
    assert _put(client, manager, url, {"municipalities": []}).status_code == 422
    assert _put(client, agent, url, {"municipalities": four}).status_code == 403


def test_participants_with_a_fixed_key_need_shares_for_participants_only(
    client, create_user, create_municipality, make_key, make_service, this_year
):
    for number in ORKIDE:
        create_municipality(number)
    make_key(default=True)
    make_service("HELSE", "basic", price={"annual_cost": Decimal("400000.00")})
    make_key("Helse 4", shares={"1505": "0.4", "1554": "0.2", "1557": "0.2", "1560": "0.2"})
    manager = create_user("catalogue_manager")
    price_url = f"/api/v1/services/HELSE/prices/{this_year}"
    price = {"annual_cost": "1200000.00", "allocation_key": "Helse 4"}
    # Shared by every member, the four-member key would meet members without a share.
    assert _put(client, manager, price_url, price).status_code == 422
    url = f"/api/v1/services/HELSE/participants/{this_year}"
    four = {"municipalities": ["1505", "1554", "1557", "1560"]}
    assert _put(client, manager, url, four).status_code == 200
    assert _put(client, manager, price_url, price).status_code == 200
    agent = create_user("agent")
    report = client.get(f"/api/v1/cost-reports/{this_year}", headers=agent.headers).json
    basic = {r["municipality"]: r["totals"]["basic"] for r in report["municipalities"]}
    assert basic["1505"] == "480000.00"  # 0.4 of 100 000.00 a month, twelve months
    # Widening the participants past the key's shares is refused.
    wider = _put(client, manager, url, {"municipalities": ["1505", "1554", "1557", "1560", "1563"]})
    assert wider.status_code == 422 and wider.json["municipality"] == "1563"
