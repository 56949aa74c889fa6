"""Calendar closures and Swedish de-facto holidays, through PUT /calendars and tickets' SLA."""

from __future__ import annotations

import pytest

from servicedesk.sla.calendars import BUSINESS_DOCUMENT
from tests.support.sla import oslo

pytestmark = pytest.mark.db

NORWEGIAN_RULES = [
    {"rule": "12-24", "closed_from": "12:00"},
    {"rule": "12-31", "closed_from": "12:00"},
    {"rule": "easter-4", "closed_from": "14:00"},
]


def put_business(client, admin, **changes):
    doc = {k: v for k, v in BUSINESS_DOCUMENT.items()}
    doc.update(changes)
    return client.put("/api/v1/calendars/business", headers=admin.headers, json=doc)


def test_put_stores_and_returns_closures(client, create_user):
    admin = create_user("admin")
    response = put_business(client, admin, closures=[*NORWEGIAN_RULES, {"rule": "midsummer-eve"}])
    assert response.status_code == 200, response.json
    expected = [
        *NORWEGIAN_RULES,
        {"rule": "midsummer-eve", "closed_from": None},
    ]
    assert response.json["closures"] == expected
    read = client.get("/api/v1/calendars/business", headers=admin.headers).json
    assert read["closures"] == expected


def test_christmas_eve_closes_at_noon_for_tickets(client, create_user, clockwork):
    assert put_business(client, create_user("admin"), closures=NORWEGIAN_RULES).status_code == 200
    # Priority 2, 60 min to respond, filed Thursday 24 Dec 2026 at 11:30: 30 min
    # until noon, then Monday 28 Dec (25, 26 holidays, 27 Sunday) from 08:00.
    ticket = clockwork.file(oslo(2026, 12, 24, 11, 30))
    assert clockwork.sla(ticket, oslo(2026, 12, 24, 11, 31))["response_due"] == oslo(
        2026, 12, 28, 8, 30
    )


def test_without_closures_christmas_eve_is_a_full_day(clockwork):
    ticket = clockwork.file(oslo(2026, 12, 24, 11, 30))
    assert clockwork.sla(ticket, oslo(2026, 12, 24, 11, 31))["response_due"] == oslo(
        2026, 12, 24, 12, 30
    )


def test_wednesday_before_maundy_thursday_closes_at_two(client, create_user, clockwork):
    assert put_business(client, create_user("admin"), closures=NORWEGIAN_RULES).status_code == 200
    ticket = clockwork.file(oslo(2027, 3, 24, 13, 30))  # Easter Sunday 2027: 28 March
    assert clockwork.sla(ticket, oslo(2027, 3, 24, 13, 31))["response_due"] == oslo(
        2027, 3, 30, 8, 30
    )


def test_swedish_calendar_is_closed_on_midsommarafton(client, create_user, clockwork):
    admin = create_user("admin")
    response = put_business(
        client, admin, timezone="Europe/Stockholm", holiday_country="SE", closures=[]
    )
    assert response.status_code == 200, response.json
    # Thursday 18 June 2026 15:00 + 60 min: 30 min that day; Friday 19 June is
    # midsommarafton, closed like a Sunday; Monday 22 June 08:30.
    ticket = clockwork.file(oslo(2026, 6, 18, 15, 0))
    assert clockwork.sla(ticket, oslo(2026, 6, 18, 15, 1))["response_due"] == oslo(
        2026, 6, 22, 8, 30
    )


@pytest.mark.parametrize(
    ("closures", "field"),
    [
        ([{"rule": "31-12"}], "closures.0.rule"),
        ([{"rule": "12-24", "closed_from": "12"}], "closures.0.closed_from"),
        ({"rule": "12-24"}, "closures"),
    ],
)
def test_bad_closures_are_422_and_change_nothing(client, create_user, closures, field):
    admin = create_user("admin")
    before = client.get("/api/v1/calendars/business", headers=admin.headers).json
    response = put_business(client, admin, closures=closures)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert client.get("/api/v1/calendars/business", headers=admin.headers).json == before
