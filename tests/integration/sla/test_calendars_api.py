"""GET|PUT /calendars: the built-ins, editing, and bad input as 422 naming the field."""

from __future__ import annotations

import pytest

BUSINESS_HOURS = {d: [["08:00", "15:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def put(client, user, name, **doc):
    return client.put(f"/api/v1/calendars/{name}", headers=user.headers, json=doc)


def test_built_in_calendars_exist(client, create_user):
    user = create_user("requester", "1505")
    response = client.get("/api/v1/calendars", headers=user.headers)
    assert response.status_code == 200
    assert [c["name"] for c in response.json["items"]] == ["24x7", "business"]


def test_business_calendar_is_oslo_office_hours_with_norwegian_holidays(client, create_user):
    response = client.get("/api/v1/calendars/business", headers=create_user("agent").headers)
    assert response.status_code == 200
    body = response.json
    assert body["timezone"] == "Europe/Oslo"
    assert body["hours"] == BUSINESS_HOURS
    assert body["holiday_country"] == "NO"
    assert body["holiday_subdivision"] is None
    assert body["extra_closed_dates"] == []
    assert "ETag" in response.headers


def test_admin_edits_business_calendar(client, create_user):
    admin = create_user("admin")
    response = put(
        client,
        admin,
        "business",
        hours={**BUSINESS_HOURS, "mon": [["12:00", "15:30"], ["08:00", "11:30"]]},
        holiday_country="NO",
        extra_closed_dates=["2026-12-24", "2026-12-31"],
    )
    assert response.status_code == 200, response.json
    # Ranges come back sorted.
    assert response.json["hours"]["mon"] == [["08:00", "11:30"], ["12:00", "15:30"]]
    assert response.json["version"] == 2
    again = client.get("/api/v1/calendars/business", headers=admin.headers).json
    assert again["extra_closed_dates"] == ["2026-12-24", "2026-12-31"]


def test_put_creates_a_new_calendar(client, create_user):
    response = put(
        client,
        create_user("admin"),
        "hudiksvall",
        timezone="Europe/Stockholm",
        hours=BUSINESS_HOURS,
        holiday_country="SE",
    )
    assert response.status_code == 201, response.json
    assert response.json["name"] == "hudiksvall"


def test_timezone_defaults_to_oslo(client, create_user):
    response = put(client, create_user("admin"), "kveld", hours={"mon": [["16:00", "22:00"]]})
    assert response.status_code == 201
    assert response.json["timezone"] == "Europe/Oslo"


def test_24x7_cannot_be_changed(client, create_user):
    response = put(client, create_user("admin"), "24x7", hours=BUSINESS_HOURS)
    assert response.status_code == 409


def test_only_admin_edits_calendars(client, create_user):
    response = put(client, create_user("agent"), "business", hours=BUSINESS_HOURS)
    assert response.status_code == 403


def test_unknown_calendar_is_404(client, create_user):
    response = client.get("/api/v1/calendars/nope", headers=create_user("agent").headers)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"hours": {"mon": [["08:00", "12:00"], ["11:00", "15:30"]]}}, "hours.mon.1"),
        ({"hours": {"tue": [["15:30", "08:00"]]}}, "hours.tue.0"),
        ({"hours": {"wed": [["08:00", "08:00"]]}}, "hours.wed.0"),
        ({"hours": {"thu": [["8", "15:30"]]}}, "hours.thu.0"),
        ({"hours": {"fri": [["08:00", "25:00"]]}}, "hours.fri.0"),
        ({"hours": {"fri": ["08:00-15:30"]}}, "hours.fri.0"),
        ({"hours": {"funday": [["08:00", "15:30"]]}}, "hours"),
        ({"hours": BUSINESS_HOURS, "timezone": "Europe/Bergen"}, "timezone"),
        ({"hours": BUSINESS_HOURS, "timezone": "../../etc/passwd"}, "timezone"),
        ({"hours": BUSINESS_HOURS, "holiday_country": "XX"}, "holiday_country"),
        (
            {"hours": BUSINESS_HOURS, "holiday_country": "NO", "holiday_subdivision": "99"},
            "holiday_subdivision",
        ),
        ({"hours": BUSINESS_HOURS, "extra_closed_dates": ["2026-02-30"]}, "extra_closed_dates.0"),
        ({"hours": {}}, "hours"),
        ({"hours": {"sat": [["10:00", "14:00"]]}, "special_hours": {"x": []}}, "special_hours.x"),
        # Found by schemathesis: a list here was a 500 (AttributeError), now a 422.
        ({"hours": BUSINESS_HOURS, "special_hours": [["08:00", "12:00"]]}, "special_hours"),
    ],
)
def test_bad_calendar_is_422_naming_the_field(client, create_user, doc, field):
    response = put(client, create_user("admin"), "business", **doc)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json


def test_calendar_closed_for_a_whole_year_is_refused(client, create_user):
    # Open only on Saturdays, and every Saturday of 2027 declared closed.
    from datetime import date, timedelta

    saturdays = [date(2027, 1, 2) + timedelta(weeks=i) for i in range(52)]
    response = put(
        client,
        create_user("admin"),
        "lordag",
        hours={"sat": [["10:00", "14:00"]]},
        extra_closed_dates=[d.isoformat() for d in saturdays],
    )
    assert response.status_code == 422
    assert "extra_closed_dates" in response.json["errors"]


def test_failed_put_changes_nothing(client, create_user):
    admin = create_user("admin")
    put(client, admin, "business", hours={"mon": [["15:00", "09:00"]]})
    body = client.get("/api/v1/calendars/business", headers=admin.headers).json
    assert body["hours"] == BUSINESS_HOURS
