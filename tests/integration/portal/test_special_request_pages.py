"""Special requests through the pages: submit, see the quote, accept or reject it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from kommune_ikt.core.auth.actor import Actor, Role
from service_catalog import special_requests
from service_catalog.models import SpecialRequest
from tests.support.desk import HOST, OTHER
from tests.support.portal import csrf

pytestmark = pytest.mark.db
NBSP = "\xa0"


@pytest.fixture
def desk(create_municipality, create_user, make_service):
    """Two members, the consultant hour priced this year, and a catalogue manager's actor."""
    create_municipality(HOST)
    create_municipality(OTHER)
    make_service("KONSULENT", "special", name="Konsulenttime")
    manager = create_user("catalogue_manager")
    return Actor(manager.id, Role.CATALOGUE_MANAGER, None, manager.email)


def _as_actor(user) -> Actor:
    return Actor(user.id, Role(user.role), user.municipality, user.email)


def _submit(browser, **fields):
    token = csrf(browser.get("/special-requests/new").get_data(as_text=True))
    data = {"title": "Integrasjon mot arkiv", "description": "Sak/arkiv til Elements.", **fields}
    return browser.post("/special-requests/new", data={"csrf_token": token, **data})


def _stored(session, request_id: int) -> SpecialRequest:
    session.expire_all()
    return session.get(SpecialRequest, request_id)


def test_submit_then_accept_the_quote(sign_in, session, create_user, desk):
    orderer = create_user("orderer", HOST)
    browser = sign_in(orderer)
    response = _submit(browser, desired_by="31.12.2027")
    assert response.status_code == 303, response.get_data(as_text=True)
    url = response.headers["Location"]
    request_id = int(url.rsplit("/", 1)[1])
    made = _stored(session, request_id)
    assert (made.municipality_number, made.title, made.desired_by) == (
        HOST,
        "Integrasjon mot arkiv",
        date(2027, 12, 31),
    )
    page = browser.get(url).get_data(as_text=True)
    assert "Sendt inn – venter på pristilbud" in page
    assert "nr. 1 i porteføljen" in page and "31. desember 2027" in page
    assert "Godta pristilbudet" not in page

    special_requests.quote_request(session, desk, request_id, {"hours": Decimal("12.5")})
    session.commit()
    page = browser.get(url).get_data(as_text=True)
    assert "Pristilbud klart – venter på svar" in page
    assert f"12,5 timer × 650,00{NBSP}kr = 8{NBSP}125,00{NBSP}kr" in page
    assert "Godta pristilbudet" in page and "Avslå pristilbudet" in page

    listed = browser.get("/special-requests").get_data(as_text=True)
    assert "Integrasjon mot arkiv" in listed and "nr. 1 i porteføljen" in listed
    assert f"8{NBSP}125,00{NBSP}kr" in listed

    accepted = browser.post(url + "/accept", data={"csrf_token": csrf(page)})
    assert accepted.status_code == 303 and accepted.headers["Location"].endswith(url)
    assert _stored(session, request_id).status == "accepted"
    page = browser.get(url).get_data(as_text=True)
    assert "Godtatt – venter på oppstart" in page and "Godta pristilbudet" not in page


def test_rejecting_the_quote_takes_the_request_out_of_the_portfolio(
    sign_in, session, create_user, desk
):
    orderer = create_user("orderer", HOST)
    browser = sign_in(orderer)
    first = special_requests.submit_request(session, _as_actor(orderer), {"title": "Først"})
    url = _submit(browser).headers["Location"]
    second = int(url.rsplit("/", 1)[1])
    special_requests.quote_request(session, desk, first.id, {"amount": Decimal("9000.00")})
    session.commit()
    page = browser.get(f"/special-requests/{first.id}").get_data(as_text=True)
    assert f"Fast pris: 9{NBSP}000,00{NBSP}kr" in page
    rejected = browser.post(f"/special-requests/{first.id}/reject", data={"csrf_token": csrf(page)})
    assert rejected.status_code == 303
    assert _stored(session, first.id).status == "rejected"
    assert _stored(session, second).priority_rank == 1  # moved up
    page = browser.get(f"/special-requests/{first.id}").get_data(as_text=True)
    assert "Pristilbudet er avslått" in page and "Ikke i porteføljen" in page


def test_accepting_before_a_quote_is_a_conflict_that_changes_nothing(
    sign_in, session, create_user, desk
):
    browser = sign_in(create_user("orderer", HOST))
    url = _submit(browser).headers["Location"]
    page = browser.get(url).get_data(as_text=True)
    response = browser.post(url + "/accept", data={"csrf_token": csrf(page)})
    assert response.status_code == 409
    assert "Integrasjon mot arkiv" in response.get_data(as_text=True)
    assert _stored(session, int(url.rsplit("/", 1)[1])).status == "submitted"


def test_a_bad_desired_by_names_the_field_and_keeps_what_was_typed(
    sign_in, session, create_user, desk
):
    browser = sign_in(create_user("orderer", HOST))
    response = _submit(browser, desired_by="31.02.2027")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#desired_by"' in page and "Skriv en dato, for eksempel 31.12.2026." in page
    assert 'value="31.02.2027"' in page and 'aria-invalid="true"' in page
    assert "Sak/arkiv til Elements." in page  # the rest is kept too
    assert session.scalar(sa.select(sa.func.count()).select_from(SpecialRequest)) == 0


def test_a_missing_title_is_refused_and_nothing_is_stored(sign_in, session, create_user, desk):
    browser = sign_in(create_user("orderer", HOST))
    response = _submit(browser, title="")
    assert response.status_code == 422
    assert "Skriv en tittel." in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(SpecialRequest)) == 0


def test_another_municipalitys_request_is_not_found(sign_in, session, create_user, desk):
    stranger = create_user("orderer", OTHER)
    theirs = special_requests.submit_request(
        session, _as_actor(stranger), {"title": "Sunndals hemmelige prosjekt"}
    )
    special_requests.quote_request(session, desk, theirs.id, {"hours": Decimal("3")})
    session.commit()
    browser = sign_in(create_user("orderer", HOST))
    shown = browser.get(f"/special-requests/{theirs.id}")
    assert shown.status_code == 404
    assert "Sunndals hemmelige prosjekt" not in shown.get_data(as_text=True)
    token = csrf(browser.get("/special-requests").get_data(as_text=True))
    answered = browser.post(f"/special-requests/{theirs.id}/accept", data={"csrf_token": token})
    assert answered.status_code == 404
    assert _stored(session, theirs.id).status == "quoted"
    assert "Sunndals hemmelige prosjekt" not in browser.get("/special-requests").get_data(
        as_text=True
    )


def test_requesters_may_neither_read_nor_submit_special_requests(
    sign_in, session, create_user, desk
):
    orderer = create_user("orderer", HOST)
    mine = special_requests.submit_request(session, _as_actor(orderer), {"title": "Vår sak"})
    session.commit()
    browser = sign_in(create_user("requester", HOST))
    for path in ("/special-requests", "/special-requests/new", f"/special-requests/{mine.id}"):
        assert browser.get(path).status_code == 403, path
    token = csrf(browser.get("/tickets/new").get_data(as_text=True))
    posted = browser.post(
        "/special-requests/new", data={"csrf_token": token, "title": "Ny", "description": ""}
    )
    assert posted.status_code == 403
    assert session.scalar(sa.select(sa.func.count()).select_from(SpecialRequest)) == 1
    assert "Spesialbestillinger" not in browser.get("/").get_data(as_text=True)


def test_answering_needs_the_forms_csrf_token(sign_in, session, create_user, desk):
    orderer = create_user("orderer", HOST)
    made = special_requests.submit_request(session, _as_actor(orderer), {"title": "Vår sak"})
    special_requests.quote_request(session, desk, made.id, {"hours": Decimal("1")})
    session.commit()
    browser = sign_in(orderer)
    assert browser.post(f"/special-requests/{made.id}/accept").status_code == 400
    assert _stored(session, made.id).status == "quoted"


def test_admin_submits_for_a_named_municipality(sign_in, session, create_user, desk):
    browser = sign_in(create_user("admin"))
    unnamed = _submit(browser, municipality="")
    assert unnamed.status_code == 422
    page = unnamed.get_data(as_text=True)
    assert 'href="#municipality"' in page and "IT-roller må oppgi kommunen." in page
    response = _submit(browser, municipality=OTHER)
    assert response.status_code == 303
    made = session.scalar(sa.select(SpecialRequest))
    assert made.municipality_number == OTHER
