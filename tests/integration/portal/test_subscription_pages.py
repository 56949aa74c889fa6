"""The municipality's subscriptions through the pages: see them, change the quantity from a
day on, end one; the same rules as PATCH /subscriptions/{id}, refusals at their field."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth.actor import Actor, Role
from service_catalog import orders
from service_catalog.models import Subscription, SubscriptionChange, SubscriptionEdit
from service_catalog.municipalities import today
from tests.support.desk import HOST, OTHER
from tests.support.portal import csrf

pytestmark = pytest.mark.db


@pytest.fixture
def running(session, desk, make_service):
    """A subscription of HOST's: 3 SQL licences from today, placed by HOST's orderer and
    delivered by an agent; returns (subscription id, the orderer, the agent)."""
    make_service("SQL-LIC", "optional", name="Lisens SQL database")
    orderer = desk.create_user("orderer", HOST)
    agent = desk.create_user("agent")
    me = Actor(orderer.id, Role.ORDERER, HOST, orderer.email)
    order = orders.place_order(session, me, {"service_code": "SQL-LIC", "quantity": 3})
    orders.fulfil_order(session, Actor(agent.id, Role.AGENT, None, agent.email), order.id, today())
    session.commit()
    (subscription,) = session.scalars(sa.select(Subscription))
    return subscription.id, orderer, agent


def _get(browser, path):
    response = browser.get(path)
    return response, response.get_data(as_text=True)


def _fresh(session, subscription_id):
    session.expire_all()
    return session.get(Subscription, subscription_id)


def _post(browser, subscription_id, what, **data):
    _, page = _get(browser, f"/subscriptions/{subscription_id}")
    form = {"csrf_token": csrf(page), "version": _version(page), **data}
    return browser.post(f"/subscriptions/{subscription_id}/{what}", data=form)


def _version(page):
    marker = 'name="version" type="hidden" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_orderer_sees_the_municipalitys_subscriptions(sign_in, desk, running):
    subscription_id, orderer, _ = running
    browser = sign_in(orderer)
    _, home = _get(browser, "/")
    assert 'href="/subscriptions"' in home  # in the menu
    response, page = _get(browser, "/subscriptions")
    assert response.status_code == 200
    assert f'href="/subscriptions/{subscription_id}"' in page and "Lisens SQL database" in page
    response, page = _get(browser, f"/subscriptions/{subscription_id}")
    assert response.status_code == 200
    assert "Antall over tid" in page and "Bestilling nr." in page  # the order that started it


def test_requesters_and_other_municipalities_do_not_see_it(sign_in, desk, running):
    subscription_id, _, _ = running
    requester = sign_in(desk.create_user("requester", HOST))
    assert _get(requester, "/subscriptions")[0].status_code == 403
    assert _get(requester, f"/subscriptions/{subscription_id}")[0].status_code == 403
    other = sign_in(desk.create_user("orderer", OTHER))
    response, page = _get(other, "/subscriptions")
    assert response.status_code == 200 and f"/subscriptions/{subscription_id}" not in page
    assert _get(other, f"/subscriptions/{subscription_id}")[0].status_code == 404
    token = csrf(page)
    response = other.post(
        f"/subscriptions/{subscription_id}/quantity",
        data={"csrf_token": token, "version": "x", "quantity": "9"},
    )
    assert response.status_code == 404


def test_the_it_unit_sees_every_members_with_the_municipality(sign_in, desk, running):
    subscription_id, _, agent = running
    _, page = _get(sign_in(agent), "/subscriptions")
    assert f"/subscriptions/{subscription_id}" in page
    assert f"<td>{HOST} Kristiansund</td>" in page  # by number and name


def test_orderer_changes_the_quantity_from_today_and_it_is_logged(sign_in, desk, running, session):
    subscription_id, orderer, _ = running
    browser = sign_in(orderer)
    response = _post(browser, subscription_id, "quantity", quantity="5", effective_on="")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/subscriptions/{subscription_id}")
    assert _fresh(session, subscription_id).quantity == 5
    edits = list(session.scalars(sa.select(SubscriptionEdit).order_by(SubscriptionEdit.id)))
    assert [(e.field, e.old_value, e.new_value, e.changed_by) for e in edits][-1] == (
        "quantity",
        "3",
        "5",
        orderer.id,
    )
    _, page = _get(browser, f"/subscriptions/{subscription_id}")
    assert "Abonnementet er endret." in page and "Endret her eller i API-et" in page


def test_a_later_day_holds_the_new_quantity_from_then(sign_in, desk, running, session):
    subscription_id, orderer, _ = running
    later = today() + timedelta(days=10)
    response = _post(
        sign_in(orderer), subscription_id, "quantity", quantity="1", effective_on=later.isoformat()
    )
    assert response.status_code == 303
    changes = [(c.effective_on, c.quantity) for c in _view_changes(session, subscription_id)]
    assert changes == [(today(), 3), (later, 1)]


def _view_changes(session, subscription_id):
    session.expire_all()
    return list(
        session.scalars(
            sa.select(SubscriptionChange)
            .where(SubscriptionChange.subscription_id == subscription_id)
            .order_by(SubscriptionChange.effective_on)
        )
    )


def test_bad_quantity_is_422_at_the_field_keeping_what_was_typed(sign_in, desk, running, session):
    subscription_id, orderer, _ = running
    response = _post(sign_in(orderer), subscription_id, "quantity", quantity="tre")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Skriv antallet som et helt tall" in page and 'value="tre"' in page
    assert 'href="#quantity"' in page and 'aria-invalid="true"' in page
    assert _fresh(session, subscription_id).quantity == 3


def test_a_municipal_change_backwards_is_refused_at_the_day(sign_in, desk, running, session):
    subscription_id, orderer, _ = running
    yesterday = (today() - timedelta(days=1)).isoformat()
    response = _post(
        sign_in(orderer), subscription_id, "quantity", quantity="7", effective_on=yesterday
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#effective_on"' in page and f'value="{yesterday}"' in page and 'value="7"' in page
    assert _fresh(session, subscription_id).quantity == 3
    assert len(_view_changes(session, subscription_id)) == 1


def test_a_change_made_meanwhile_is_shown_not_overwritten(sign_in, desk, running, session):
    subscription_id, orderer, agent = running
    browser = sign_in(orderer)
    _, page = _get(browser, f"/subscriptions/{subscription_id}")
    seen = _version(page)
    assert _post(sign_in(agent), subscription_id, "quantity", quantity="4").status_code == 303
    response = browser.post(
        f"/subscriptions/{subscription_id}/quantity",
        data={"csrf_token": csrf(page), "version": seen, "quantity": "9"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Noen andre endret abonnementet" in page and 'value="9"' in page
    assert _fresh(session, subscription_id).quantity == 4
    # Sent again from the page as shown now, it goes through.
    response = browser.post(
        f"/subscriptions/{subscription_id}/quantity",
        data={"csrf_token": csrf(page), "version": _version(page), "quantity": "9"},
    )
    assert response.status_code == 303 and _fresh(session, subscription_id).quantity == 9


def test_orderer_ends_the_subscription_and_may_take_it_back(sign_in, desk, running, session):
    subscription_id, orderer, _ = running
    browser = sign_in(orderer)
    end = (today() + timedelta(days=30)).isoformat()
    assert _post(browser, subscription_id, "end", end_on=end).status_code == 303
    assert _fresh(session, subscription_id).end_on.isoformat() == end
    _, page = _get(browser, "/subscriptions")
    assert "Løper" not in page.split("<tbody>")[1]
    assert _post(browser, subscription_id, "end", end_on="").status_code == 303
    assert _fresh(session, subscription_id).end_on is None
    fields = [e.field for e in session.scalars(sa.select(SubscriptionEdit))]
    assert fields.count("end_on") == 2


def test_an_end_before_the_start_is_refused_at_the_field(sign_in, desk, running, session):
    subscription_id, orderer, _ = running
    response = _post(sign_in(orderer), subscription_id, "end", end_on=today().isoformat())
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'href="#end_on"' in page
    assert _fresh(session, subscription_id).end_on is None
    response = _post(sign_in(orderer), subscription_id, "end", end_on="snart")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Skriv en dato" in page and 'value="snart"' in page


def test_changing_without_csrf_is_refused_and_changes_nothing(sign_in, desk, running, session):
    subscription_id, orderer, _ = running
    browser = sign_in(orderer)
    _, page = _get(browser, f"/subscriptions/{subscription_id}")
    response = browser.post(
        f"/subscriptions/{subscription_id}/quantity",
        data={"version": _version(page), "quantity": "8"},
    )
    assert response.status_code == 400
    assert _fresh(session, subscription_id).quantity == 3
