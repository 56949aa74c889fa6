"""The SLO arithmetic, starting with the worked example of issue 6."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from metrics import slo

T0 = datetime(2026, 9, 1, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def test_worked_example_three_hours_unplanned_two_planned_thirty_days_at_99_5():
    unplanned = [(T0 + 3 * DAY, T0 + 3 * DAY + 3 * HOUR)]
    planned = [(T0 + 10 * DAY, T0 + 10 * DAY + 2 * HOUR)]
    result = slo.availability(0.995, T0, T0 + 30 * DAY, unplanned, planned)
    assert result.window_seconds == 2_592_000
    assert result.downtime_seconds == 10_800
    assert result.planned_seconds == 7_200
    assert result.availability == pytest.approx(0.9958333333333333)
    assert result.error_budget_seconds == pytest.approx(12_960)
    assert result.error_budget_remaining == pytest.approx(1 - 10_800 / 12_960)


def test_error_budget_goes_negative_when_overspent():
    unplanned = [(T0, T0 + 5 * HOUR)]
    result = slo.availability(0.995, T0, T0 + 30 * DAY, unplanned)
    assert result.error_budget_remaining == pytest.approx(1 - 18_000 / 12_960)
    assert result.error_budget_remaining < 0


def test_outage_straddling_the_window_counts_only_inside():
    unplanned = [(T0 - 2 * HOUR, T0 + HOUR)]
    assert slo.availability(0.99, T0, T0 + DAY, unplanned).downtime_seconds == 3600


def test_overlapping_intervals_count_once():
    unplanned = [(T0, T0 + 2 * HOUR), (T0 + HOUR, T0 + 3 * HOUR)]
    assert slo.covered_seconds(unplanned, T0, T0 + DAY) == 3 * 3600


def test_custom_measure_counts_only_open_hours():
    # A toy calendar: only the first hour of the window is agreed time.
    def first_hour(a, b):
        return slo.wall_seconds(max(a, T0), min(b, T0 + HOUR))

    unplanned = [(T0 + timedelta(minutes=30), T0 + 5 * HOUR)]
    result = slo.availability(0.98, T0, T0 + DAY, unplanned, measure=first_hour)
    assert (result.window_seconds, result.downtime_seconds) == (3600, 1800)
    assert result.availability == pytest.approx(0.5)


def test_full_target_without_downtime_keeps_whole_budget():
    assert slo.availability(1.0, T0, T0 + DAY, []).error_budget_remaining == 1.0
    assert slo.availability(1.0, T0, T0 + DAY, [(T0, T0 + HOUR)]).error_budget_remaining is None


def test_stability_counts_mttr_mtbf_and_longest():
    outages = [(T0 + DAY, T0 + DAY + HOUR), (T0 + 5 * DAY, T0 + 5 * DAY + 3 * HOUR)]
    result = slo.stability(T0, T0 + 10 * DAY, outages, now=T0 + 20 * DAY)
    assert result.outage_count == 2
    assert result.downtime_seconds == 4 * 3600
    assert result.mttr_seconds == 2 * 3600
    assert result.mtbf_seconds == (10 * 86400 - 4 * 3600) / 2
    assert result.longest_outage_seconds == 3 * 3600


def test_stability_without_outages_has_no_mttr_or_mtbf():
    result = slo.stability(T0, T0 + DAY, [], now=T0 + DAY)
    assert (result.outage_count, result.mttr_seconds, result.mtbf_seconds) == (0, None, None)


def test_ongoing_outage_is_longest_up_to_now_but_not_in_mttr():
    outages = [(T0 + HOUR, T0 + 100 * DAY)]
    result = slo.stability(T0, T0 + DAY, outages, now=T0 + 3 * HOUR)
    assert result.mttr_seconds is None
    assert result.longest_outage_seconds == 2 * 3600


def test_month_start_follows_local_calendar_across_new_year():
    oslo = ZoneInfo("Europe/Oslo")
    moment = datetime(2026, 1, 1, 0, 30, tzinfo=oslo)  # still 31 Dec in UTC
    assert slo.month_start(moment.astimezone(UTC), oslo) == datetime(2026, 1, 1, tzinfo=oslo)
    assert slo.month_start(moment, oslo, 1) == datetime(2025, 12, 1, tzinfo=oslo)
    assert slo.next_month_start(datetime(2025, 12, 1, tzinfo=oslo)) == datetime(
        2026, 1, 1, tzinfo=oslo
    )
