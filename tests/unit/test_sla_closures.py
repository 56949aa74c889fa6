"""Swedish de-facto holidays and recurring closure rules on the business-hours clock."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from kommune_ikt.core.errors import ValidationFailed
from servicedesk.sla.calendars import BUSINESS_DOCUMENT, spec_of, validate_calendar
from servicedesk.sla.clock import clock_for, closure_date

OSLO = ZoneInfo("Europe/Oslo")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
SWEDISH = {**BUSINESS_DOCUMENT, "timezone": "Europe/Stockholm", "holiday_country": "SE"}
NORWEGIAN_CLOSURES = {
    **BUSINESS_DOCUMENT,
    "closures": [
        {"rule": "12-24", "closed_from": "12:00"},
        {"rule": "12-31", "closed_from": "12:00"},
        {"rule": "easter-4", "closed_from": "14:00"},
    ],
}


def at(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 6, 19), "midsommarafton"),
        (date(2025, 12, 24), "julafton"),
        (date(2025, 12, 31), "nyårsafton"),
    ],
)
def test_swedish_desk_is_closed_on_the_de_facto_holidays(day, name):
    clock = clock_for(spec_of(SWEDISH))
    assert day in clock.closed_dates(day.year), name
    assert not clock.is_open(at(STOCKHOLM, day.year, day.month, day.day, 10, 0))


def test_midsommarafton_2026_moves_a_swedish_target_past_the_weekend():
    # Thursday 18 June 2026 15:00, 60 min: 30 min on Thursday; Friday 19 June is
    # midsommarafton (closed), Saturday 20 midsommardagen; Monday 22 at 08:30.
    clock = clock_for(spec_of(SWEDISH))
    assert clock.add_minutes(at(STOCKHOLM, 2026, 6, 18, 15, 0), 60) == at(
        STOCKHOLM, 2026, 6, 22, 8, 30
    )


def test_norwegian_desk_keeps_christmas_eve_a_working_day_without_rules():
    clock = clock_for(spec_of(BUSINESS_DOCUMENT))
    assert clock.is_open(at(OSLO, 2025, 12, 24, 13, 0))


@pytest.mark.parametrize(
    ("rule", "year", "expected"),
    [
        ("12-24", 2026, date(2026, 12, 24)),
        ("easter", 2026, date(2026, 4, 5)),
        ("easter-4", 2026, date(2026, 4, 1)),  # Wednesday before Maundy Thursday
        ("easter-4", 2027, date(2027, 3, 24)),
        ("easter+1", 2025, date(2025, 4, 21)),
        ("midsummer-eve", 2026, date(2026, 6, 19)),
        ("midsummer-eve", 2027, date(2027, 6, 25)),
        ("02-29", 2028, date(2028, 2, 29)),
        ("02-29", 2027, None),
    ],
)
def test_closure_rules_name_a_date_every_year(rule, year, expected):
    assert closure_date(rule, year) == expected


def test_christmas_eve_closes_at_noon_every_year():
    clock = clock_for(spec_of(validate_calendar(NORWEGIAN_CLOSURES, today=date(2026, 1, 1))))
    for year in (2026, 2027, 2031):  # 24 Dec 2026 Thu, 2027 Fri, 2031 Wed
        assert clock.is_open(at(OSLO, year, 12, 24, 11, 59))
        assert not clock.is_open(at(OSLO, year, 12, 24, 12, 0))
    # Wednesday 23 Dec 2026 15:00 + 60 min: 30 min that day, 30 from 08:00 on 24th.
    assert clock.add_minutes(at(OSLO, 2026, 12, 23, 15, 0), 60) == at(OSLO, 2026, 12, 24, 8, 30)
    # 24 Dec 2026 11:30 + 60 min: 30 min to noon, then 28 Dec (25/26 holidays,
    # 27 Sunday) from 08:00.
    assert clock.add_minutes(at(OSLO, 2026, 12, 24, 11, 30), 60) == at(OSLO, 2026, 12, 28, 8, 30)


def test_wednesday_before_maundy_thursday_closes_early():
    clock = clock_for(spec_of(validate_calendar(NORWEGIAN_CLOSURES, today=date(2026, 1, 1))))
    # 1 April 2026, 13:30 + 60 min: 30 min to 14:00, then Tuesday 7 April 08:30.
    assert clock.add_minutes(at(OSLO, 2026, 4, 1, 13, 30), 60) == at(OSLO, 2026, 4, 7, 8, 30)
    # The year lost 90 min on each of the three dates (15:30 - 14:00/12:00 ...).
    plain = clock_for(spec_of(BUSINESS_DOCUMENT)).open_seconds_in_year(2026)
    assert plain - clock.open_seconds_in_year(2026) == (90 + 210 + 210) * 60


def test_a_whole_day_closure_and_special_hours_win_over_it():
    doc = {
        **BUSINESS_DOCUMENT,
        "closures": [{"rule": "11-02"}],
        "special_hours": {"2026-11-02": [["09:00", "10:00"]]},
    }
    clock = clock_for(spec_of(validate_calendar(doc, today=date(2026, 1, 1))))
    assert not clock.is_open(at(OSLO, 2027, 11, 2, 9, 30))  # a Tuesday, closed
    assert clock.is_open(at(OSLO, 2026, 11, 2, 9, 30))  # that date's own hours


@pytest.mark.parametrize(
    ("closures", "field"),
    [
        ([{"rule": "24-12"}], "closures.0.rule"),
        ([{"rule": "02-30"}], "closures.0.rule"),
        ([{"rule": "easter-400"}], "closures.0.rule"),
        ([{"rule": "christmas"}], "closures.0.rule"),
        ([{"rule": "12-24", "closed_from": "noon"}], "closures.0.closed_from"),
        ([{"rule": "12-24", "closed_from": "25:00"}], "closures.0.closed_from"),
        ([{"rule": "12-24", "until": "12:00"}], "closures.0"),
        ([{"rule": "12-24"}, {"rule": "12-24", "closed_from": "12:00"}], "closures.1.rule"),
        ("12-24", "closures"),
    ],
)
def test_bad_closure_is_422_naming_the_field(closures, field):
    with pytest.raises(ValidationFailed) as caught:
        validate_calendar({**BUSINESS_DOCUMENT, "closures": closures}, today=date(2026, 1, 1))
    assert field in caught.value.errors
