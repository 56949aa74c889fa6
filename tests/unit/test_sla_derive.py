"""A ticket's SLA derived from its history: worked examples and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicedesk.sla.calendars import ALWAYS_DOCUMENT, BUSINESS_DOCUMENT, spec_of
from servicedesk.sla.clock import clock_for
from servicedesk.sla.derive import Change, Target, at_creation, derive

OSLO = ZoneInfo("Europe/Oslo")
CLOCKS = {
    "business": clock_for(spec_of(BUSINESS_DOCUMENT)),
    "24x7": clock_for(spec_of(ALWAYS_DOCUMENT)),
}
# The seeded ``default`` set (minutes): P1 15/120, P2 60/240, P3 225/900, P4 450/2250.
DEFAULT = {
    1: Target(15, 120, "business"),
    2: Target(60, 240, "business"),
    3: Target(225, 900, "business"),
    4: Target(450, 2250, "business"),
}


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)


def status(at: datetime, old: str, new: str) -> Change:
    return Change(at, "status", old, new)


def sla(created, changes=(), *, status="new", priority=2, responded_at=None, now, policy=DEFAULT):
    return derive(
        created_at=created,
        status=status,
        priority=priority,
        changes=list(changes),
        responded_at=responded_at,
        policy=policy,
        clocks=CLOCKS,
        now=now,
    )


def test_new_ticket_before_easter_is_due_after_the_holidays():
    # P2 filed Wednesday 1 April 2026 14:00: response 60 min → 15:00 the same
    # day; resolution 240 min → 90 min on Wednesday, then Maundy Thursday, Good
    # Friday, the weekend and Easter Monday are closed → Tuesday 7 April 10:30.
    result = sla(oslo(2026, 4, 1, 14, 0), now=oslo(2026, 4, 1, 14, 10))
    assert result.view() == {
        "response_due": oslo(2026, 4, 1, 15, 0),
        "resolution_due": oslo(2026, 4, 7, 10, 30),
        "responded_at": None,
        "resolved_at": None,
        "response_breached": False,
        "resolution_breached": False,
        "paused": False,
    }


def test_unanswered_ticket_is_breached_once_due_even_while_closed():
    # The same ticket read on Thursday (a holiday): nobody responded by 15:00
    # Wednesday, so the response is breached though no business time passes.
    result = sla(oslo(2026, 4, 1, 14, 0), now=oslo(2026, 4, 2, 10, 0))
    assert result.response.breached and not result.resolution.breached


def test_pending_over_a_weekend_does_not_count():
    # P2 filed Friday 6 March 2026 13:00, taken in progress at 13:30 (response
    # on time). At 14:00 the agent sets it pending (waiting for the requester)
    # with 60 of its 240 resolution minutes used. The requester answers Monday
    # 9 March at 10:00 and it goes back in progress: Monday 08:00-10:00 does
    # not count either. The remaining 180 min run 10:00-13:00 Monday.
    created = oslo(2026, 3, 6, 13, 0)
    changes = [
        status(oslo(2026, 3, 6, 13, 30), "new", "in_progress"),
        status(oslo(2026, 3, 6, 14, 0), "in_progress", "pending"),
        status(oslo(2026, 3, 9, 10, 0), "pending", "in_progress"),
    ]
    result = sla(created, changes, status="in_progress", now=oslo(2026, 3, 9, 10, 5))
    assert result.responded_at == oslo(2026, 3, 6, 13, 30)
    assert result.resolution.due == oslo(2026, 3, 9, 13, 0)
    assert result.resolution.elapsed_seconds == 65 * 60
    assert not result.paused and not result.response.breached


def test_while_pending_the_clock_stands_still_and_due_is_projected_from_now():
    # The same ticket read on Saturday and on Monday 09:00, still pending: 60
    # minutes used both times; the due instant shown is where the remaining
    # 180 minutes would end if work resumed at the moment of reading.
    created = oslo(2026, 3, 6, 13, 0)
    changes = [
        status(oslo(2026, 3, 6, 13, 30), "new", "in_progress"),
        status(oslo(2026, 3, 6, 14, 0), "in_progress", "pending"),
    ]
    saturday = sla(created, changes, status="pending", now=oslo(2026, 3, 7, 12, 0))
    monday = sla(created, changes, status="pending", now=oslo(2026, 3, 9, 9, 0))
    assert saturday.paused and monday.paused
    assert saturday.resolution.elapsed_seconds == monday.resolution.elapsed_seconds == 3600
    assert saturday.resolution.due == oslo(2026, 3, 9, 11, 0)
    assert monday.resolution.due == oslo(2026, 3, 9, 12, 0)
    assert saturday.resolution.breach_trigger is None  # the sweep has nothing to wait for


def test_priority_raised_halfway_keeps_the_time_used():
    # Filed Monday 9 March 2026 09:00 as P4 (response 450 min, resolution
    # 2250 min). At 12:45, halfway through the response target (225 of 450
    # min used, no response yet), impact is raised and it becomes P2
    # (response 60, resolution 240). The 225 minutes used stay used:
    # - response: 225 > 60, so the new target is due at once, at the change
    #   (12:45), and breached from then on (not retroactively at 10:00);
    # - resolution: 225 < 240, so 15 minutes remain: due 13:00.
    created = oslo(2026, 3, 9, 9, 0)
    changes = [Change(oslo(2026, 3, 9, 12, 45), "priority", 4, 2)]
    result = sla(created, changes, priority=2, now=oslo(2026, 3, 9, 12, 50))
    assert result.priority == 2
    assert result.response.due == oslo(2026, 3, 9, 12, 45)
    assert result.response.breached
    assert result.resolution.due == oslo(2026, 3, 9, 13, 0)
    assert not result.resolution.breached


def test_priority_lowered_extends_the_due_time():
    # P2 filed Monday 9 March 09:00 and lowered to P4 at 09:30 (30 min used):
    # the resolution target becomes 2250 min, so 2220 min remain: 360 on
    # Monday (09:30-15:30), 4 × 450 Tuesday to Friday (1800, total 2160), and
    # the last 60 on Monday 16 March 08:00-09:00.
    changes = [Change(oslo(2026, 3, 9, 9, 30), "priority", 2, 4)]
    result = sla(oslo(2026, 3, 9, 9, 0), changes, priority=4, now=oslo(2026, 3, 9, 9, 31))
    assert result.resolution.due == oslo(2026, 3, 16, 9, 0)


def test_first_public_comment_is_the_response():
    result = sla(
        oslo(2026, 3, 9, 9, 0),
        responded_at=oslo(2026, 3, 9, 9, 20),
        now=oslo(2026, 3, 9, 15, 0),
    )
    assert result.responded_at == oslo(2026, 3, 9, 9, 20)
    assert result.response.due == oslo(2026, 3, 9, 10, 0)
    assert not result.response.breached
    assert result.response.breach_trigger is None


def test_late_response_stays_breached_after_it_came():
    result = sla(
        oslo(2026, 3, 9, 9, 0),
        responded_at=oslo(2026, 3, 9, 10, 1),
        now=oslo(2026, 3, 10, 9, 0),
    )
    assert result.response.breached
    assert result.response.breach_trigger == oslo(2026, 3, 9, 10, 0)


def test_response_exactly_at_the_due_instant_is_on_time():
    result = sla(
        oslo(2026, 3, 9, 9, 0), responded_at=oslo(2026, 3, 9, 10, 0), now=oslo(2026, 3, 9, 12)
    )
    assert not result.response.breached


def test_resolution_stops_at_resolved_and_restarts_on_reopen():
    # P2 filed Monday 09:00, resolved at 10:00 (60 min used), reopened Tuesday
    # 10:00: the clock picks up at 60 minutes, 180 remain → due Tuesday 13:00.
    created = oslo(2026, 3, 9, 9, 0)
    changes = [
        status(oslo(2026, 3, 9, 10, 0), "new", "resolved"),
        status(oslo(2026, 3, 10, 10, 0), "resolved", "in_progress"),
    ]
    resolved = sla(created, changes[:1], status="resolved", now=oslo(2026, 3, 10, 9, 0))
    assert resolved.resolved_at == oslo(2026, 3, 9, 10, 0)
    assert resolved.resolution.elapsed_seconds == 3600
    assert not resolved.resolution.breached
    reopened = sla(created, changes, status="in_progress", now=oslo(2026, 3, 10, 10, 30))
    assert reopened.resolved_at is None
    assert reopened.resolution.due == oslo(2026, 3, 10, 13, 0)
    # Resolving also counted as the response, since nothing came before it.
    assert reopened.responded_at == oslo(2026, 3, 9, 10, 0)


def test_p1_on_a_24x7_service_counts_the_night():
    policy = {**DEFAULT, 1: Target(15, 120, "24x7")}
    result = sla(oslo(2026, 3, 7, 23, 0), priority=1, policy=policy, now=oslo(2026, 3, 7, 23, 1))
    assert result.response.due == oslo(2026, 3, 7, 23, 15)
    assert result.resolution.due == oslo(2026, 3, 8, 1, 0)


def test_warning_trigger_is_at_three_quarters_of_the_target():
    result = sla(oslo(2026, 3, 9, 9, 0), now=oslo(2026, 3, 9, 9, 1))
    assert result.response.warn_trigger == oslo(2026, 3, 9, 9, 45)
    assert result.resolution.warn_trigger == oslo(2026, 3, 9, 12, 0)


def test_cancelled_ticket_has_no_triggers_left():
    changes = [status(oslo(2026, 3, 9, 9, 5), "new", "cancelled")]
    result = sla(oslo(2026, 3, 9, 9, 0), changes, status="cancelled", now=oslo(2026, 3, 12))
    assert result.response.breach_trigger is None and result.resolution.breach_trigger is None
    assert not result.response.breached and not result.resolution.breached


# --- properties ----------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=10 * 24 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=200, deadline=None)
@given(created=instants, before=durations, paused=durations, after=durations)
def test_time_in_pending_never_counts(created, before, paused, after):
    business = CLOCKS["business"]
    pause, resume = created + before, created + before + paused
    now = resume + after
    changes = [status(pause, "in_progress", "pending"), status(resume, "pending", "in_progress")]
    result = sla(created, changes, status="in_progress", now=now)
    expected = business.seconds_between(created, pause) + business.seconds_between(resume, now)
    assert result.resolution.elapsed_seconds == pytest.approx(expected, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(created=instants, before=durations, wait=durations)
def test_nothing_moves_while_pending(created, before, wait):
    pause = created + before
    changes = [status(pause, "new", "pending")]
    first = sla(created, changes, status="pending", now=pause)
    later = sla(created, changes, status="pending", now=pause + wait)
    assert first.resolution.elapsed_seconds == later.resolution.elapsed_seconds
    assert first.response.elapsed_seconds == later.response.elapsed_seconds
    assert first.response.breached == later.response.breached
    assert first.resolution.breached == later.resolution.breached


@settings(max_examples=200, deadline=None)
@given(created=instants, priority=st.integers(1, 4), used=durations)
def test_due_instant_is_exactly_the_target_in_business_time(created, priority, used):
    now = created + used
    result = sla(created, priority=priority, now=now)
    business = CLOCKS["business"]
    target = DEFAULT[priority].resolution_minutes * 60
    assert business.seconds_between(created, result.resolution.due) == target
    assert result.resolution.breached == (now > result.resolution.due)


@settings(max_examples=300, deadline=None)
@given(
    created=st.datetimes(
        min_value=datetime(2025, 12, 20), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    priority=st.integers(1, 4),
    calendar=st.sampled_from(sorted(CLOCKS)),
    response=st.integers(0, 5 * 24 * 60),
    resolution=st.integers(0, 60 * 24 * 60),
    assigned=st.booleans(),
)
def test_at_creation_is_derive(created, priority, calendar, response, resolution, assigned):
    """The creation's shortcut equals replaying its history, filed as new or as assigned
    (an agent picked in the same write), on any calendar, at any instant, any target."""
    policy = {**DEFAULT, priority: Target(response, resolution, calendar)}
    changes = [status(created, None, "new")]
    if assigned:
        changes.append(status(created, "new", "assigned"))
    replayed = sla(
        created, changes, status="assigned" if assigned else "new", priority=priority,
        now=created, policy=policy,
    )  # fmt: skip
    direct = at_creation(
        created_at=created, priority=priority, target=policy[priority], clocks=CLOCKS
    )
    assert direct == replayed


def test_priority_raised_after_the_response_leaves_the_response_alone():
    # P2 filed Monday 09:00, answered 09:20 (on time for 60 min), raised to P1
    # at 11:00: the response was given under P2 and stays on time, due 10:00.
    changes = [Change(oslo(2026, 3, 9, 11, 0), "priority", 2, 1)]
    result = sla(
        oslo(2026, 3, 9, 9, 0),
        changes,
        priority=1,
        responded_at=oslo(2026, 3, 9, 9, 20),
        now=oslo(2026, 3, 9, 11, 5),
    )
    assert result.response.due == oslo(2026, 3, 9, 10, 0)
    assert not result.response.breached
    # The resolution still runs, now under P1's 120 minutes: 125 used, breached.
    assert result.resolution.due == oslo(2026, 3, 9, 11, 0)
    assert result.resolution.breached
