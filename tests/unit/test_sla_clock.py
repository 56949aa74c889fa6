"""The business-hours clock: worked examples on the Norwegian calendar, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from servicedesk.sla.calendars import ALWAYS_DOCUMENT, BUSINESS_DOCUMENT, spec_of
from servicedesk.sla.clock import (
    BusinessClock,
    CalendarSpec,
    ClockError,
    clock_for,
    hours_from_mapping,
)

OSLO = ZoneInfo("Europe/Oslo")
BUSINESS = clock_for(spec_of(BUSINESS_DOCUMENT))
ALWAYS = clock_for(spec_of(ALWAYS_DOCUMENT))
# 24 hours a day in Oslo's wall clock (not the built-in 24x7, which is UTC).
OSLO_ROUND_THE_CLOCK = clock_for(spec_of({**ALWAYS_DOCUMENT, "timezone": "Europe/Oslo"}))


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)


def test_easter_2026_skips_maundy_thursday_good_friday_and_easter_monday():
    # Filed Wednesday 1 April 2026 at 14:00 with a 4-hour (240 min) target.
    # Wednesday counts 14:00-15:30 = 90 min. Thursday 2 (skjærtorsdag) and
    # Friday 3 April (langfredag) are public holidays, then the weekend, then
    # Monday 6 April (2. påskedag): all closed. The remaining 150 min run from
    # Tuesday 7 April 08:00, so the target falls due at 10:30.
    filed = oslo(2026, 4, 1, 14, 0)
    assert BUSINESS.add_minutes(filed, 240) == oslo(2026, 4, 7, 10, 30)
    assert BUSINESS.seconds_between(filed, oslo(2026, 4, 7, 10, 30)) == 240 * 60


def test_easter_2026_first_response_on_the_same_afternoon():
    # The same ticket's 60-minute response target fits before closing:
    # 14:00 + 60 min = 15:00 on the Wednesday.
    assert BUSINESS.add_minutes(oslo(2026, 4, 1, 14, 0), 60) == oslo(2026, 4, 1, 15, 0)


def test_constitution_day_on_a_wednesday_is_skipped():
    # In 2028, 17 May (grunnlovsdag) is a Wednesday. Filed Tuesday 16 May
    # 2028 at 14:00 with a 2-working-day target (900 min): Tuesday gives 90 min
    # (14:00-15:30), Wednesday is closed, Thursday gives a full 450 min (total
    # 540), and the last 360 min run Friday 08:00-14:00.
    assert BUSINESS.add_minutes(oslo(2028, 5, 16, 14, 0), 900) == oslo(2028, 5, 19, 14, 0)


def test_constitution_day_on_a_sunday_moves_nothing():
    # In 2026, 17 May falls on a Sunday; Norway does not move a holiday that
    # falls on a Sunday, so Monday 18 May is an ordinary working day. Filed
    # Friday 15 May at 15:00 with 60 min: 30 min on Friday, 30 on Monday.
    assert BUSINESS.add_minutes(oslo(2026, 5, 15, 15, 0), 60) == oslo(2026, 5, 18, 8, 30)


def test_summer_time_change_does_not_shift_opening_hours():
    # Filed Friday 27 March 2026 at 14:30 (CET, UTC+1) with 240 min. Friday
    # gives 60 min. On Sunday 29 March clocks go from 02:00 to 03:00 (CEST,
    # UTC+2). Monday opens at 08:00 local time, which is now 06:00 UTC, not
    # 07:00: the remaining 180 min end at 11:00 local = 09:00 UTC.
    due = BUSINESS.add_minutes(oslo(2026, 3, 27, 14, 30), 240)
    assert due == oslo(2026, 3, 30, 11, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def test_day_of_the_summer_time_change_has_23_hours_round_the_clock():
    # A calendar open 00:00-24:00 Oslo time counts the wall clock: Sunday
    # 29 March 2026 lasts 23 hours, Sunday 25 October 2026 lasts 25.
    spring = OSLO_ROUND_THE_CLOCK.seconds_between(oslo(2026, 3, 29), oslo(2026, 3, 30))
    autumn = OSLO_ROUND_THE_CLOCK.seconds_between(oslo(2026, 10, 25), oslo(2026, 10, 26))
    assert (spring, autumn) == (23 * 3600, 25 * 3600)


def test_always_open_counts_every_second_across_new_year():
    start = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    assert ALWAYS.add_minutes(start, 120) == datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
    assert ALWAYS.seconds_between(start, start + timedelta(days=400)) == 400 * 86400


def test_filed_while_closed_starts_at_next_opening():
    # Filed Saturday evening: nothing counts until Monday 08:00.
    assert BUSINESS.add_minutes(oslo(2026, 3, 7, 20, 0), 15) == oslo(2026, 3, 9, 8, 15)


def test_target_ending_at_closing_time_is_due_at_closing_not_next_morning():
    assert BUSINESS.add_minutes(oslo(2026, 3, 9, 15, 0), 30) == oslo(2026, 3, 9, 15, 30)


def test_several_ranges_a_day_skip_the_lunch_break():
    spec = CalendarSpec(
        timezone="Europe/Oslo",
        hours=hours_from_mapping({"mon": [["08:00", "11:30"], ["12:00", "15:30"]]}),
    )
    clock = BusinessClock(spec)
    assert clock.add_minutes(oslo(2026, 3, 9, 11, 0), 60) == oslo(2026, 3, 9, 12, 30)


def test_extra_closed_date_and_short_special_day():
    # Christmas Eve 2026 is a Thursday: open only 08:00-12:00 (special hours);
    # 31 December closed entirely (extra closed date).
    doc = {
        **BUSINESS_DOCUMENT,
        "extra_closed_dates": ["2026-12-31"],
        "special_hours": {"2026-12-24": [["08:00", "12:00"]]},
    }
    clock = BusinessClock(spec_of(doc))
    assert clock.add_minutes(oslo(2026, 12, 24, 11, 0), 120) == oslo(2026, 12, 28, 9, 0)
    assert clock.add_minutes(oslo(2026, 12, 30, 15, 0), 60) == oslo(2027, 1, 4, 8, 30)


def test_a_calendar_that_is_never_open_cannot_add_time():
    with pytest.raises(ClockError):
        BusinessClock(CalendarSpec()).add_minutes(oslo(2026, 1, 1), 1)


# --- properties ----------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 6, 1), max_value=datetime(2028, 6, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(start=instants, minutes=st.integers(min_value=0, max_value=60 * 24 * 200))
def test_adding_business_minutes_and_counting_them_back_agree(start, minutes):
    for clock in (BUSINESS, ALWAYS, OSLO_ROUND_THE_CLOCK):
        due = clock.add_minutes(start, minutes)
        assert clock.seconds_between(start, due) == minutes * 60
        assert due >= start


NORWEGIAN_HOLIDAYS = holidays.NO(years=range(2025, 2029))


def _open_by_hand(at: datetime) -> bool:
    """The business calendar's rule written out plainly, to check the tables against."""
    local = at.astimezone(OSLO)
    if local.weekday() >= 5 or local.date() in NORWEGIAN_HOLIDAYS:
        return False
    minute = local.hour * 60 + local.minute
    return 8 * 60 <= minute < 15 * 60 + 30


@settings(max_examples=60, deadline=None)
@given(
    start=instants.map(lambda d: d.replace(second=0, microsecond=0)),
    minutes=st.integers(min_value=0, max_value=4 * 24 * 60),
)
def test_clock_advances_exactly_in_open_minutes_and_never_while_closed(start, minutes):
    end = start + timedelta(minutes=minutes)
    by_hand = sum(_open_by_hand(start + timedelta(minutes=i)) for i in range(minutes))
    assert BUSINESS.seconds_between(start, end) == by_hand * 60


@settings(max_examples=200, deadline=None)
@example(start=datetime(2025, 6, 2, 10, 0, 0, 1, tzinfo=UTC), minutes=210)
@given(start=instants, minutes=st.integers(min_value=1, max_value=10_000))
def test_due_instant_is_inside_open_hours_or_at_their_end(start, minutes):
    due = BUSINESS.add_minutes(start, minutes)
    # The last counted instant is open; the instant itself may be closing time. (A
    # whole second back is too far: a start with microseconds can end a microsecond
    # after the next day's opening, as hypothesis found with 10:00:00.000001.)
    assert BUSINESS.is_open(due - timedelta(microseconds=1))


def test_holidays_of_other_years_are_loaded_on_demand():
    assert date(2030, 4, 18) in BUSINESS.closed_dates(2030)  # skjærtorsdag 2030


@settings(max_examples=200, deadline=None)
@given(
    instants=st.lists(
        st.datetimes(
            min_value=datetime(2024, 12, 31, 22), max_value=datetime(2027, 1, 1, 1),
            timezones=st.just(UTC),
        ),
        min_size=2, max_size=8,
    ),
    minutes=st.integers(0, 3000),
)  # fmt: skip
def test_a_shared_clock_answers_as_a_fresh_one_across_new_year(instants, minutes):
    """The clock remembers the local year it was last asked about; hopping between years
    (around Oslo's midnight of 1 January, 23:00 UTC) must not change any answer."""
    shared = BusinessClock(spec_of(BUSINESS_DOCUMENT))
    for instant in instants:
        fresh = BusinessClock(spec_of(BUSINESS_DOCUMENT))
        assert shared.add_minutes(instant, minutes) == fresh.add_minutes(instant, minutes)
        assert shared.seconds_between(instants[0], instant) == fresh.seconds_between(
            instants[0], instant
        )
