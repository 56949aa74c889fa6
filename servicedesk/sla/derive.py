"""A ticket's SLA derived from its history: pure, no database.

The rules, in one place:

- Both clocks start when the ticket is created.
- The **response** clock stops at the first response: the first public comment
  by IT staff (the ticket's ``responded_at``), the first move to
  ``in_progress``, or ``resolved``/``closed`` if neither came first. A
  cancelled ticket stops it without a response.
- The **resolution** clock runs while the ticket is ``new``, ``assigned`` or
  ``in_progress``; it stops at ``resolved`` (and ``closed``/``cancelled``) and
  restarts on reopen, keeping the time already counted.
- Neither clock runs while the ticket is ``pending``.
- Time counts only in the open hours of the calendar of the priority in force
  at that moment (``24x7`` counts every second).
- The target is that of the current priority (for a clock that has stopped:
  of the priority it stopped under); a priority change keeps the business
  time counted so far. The **due** instant is when the counted time
  reaches the target: in the past if it already has (but never before the
  priority change that set the target), in the future if the clock runs, and
  projected from now if the ticket is paused.
- A target is **breached** when its due instant lies before the clock last
  stopped running (or before now, while it runs): finishing exactly at the due
  instant is on time.

Warnings are the same computation at 75 % of the target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from servicedesk.sla.clock import US_PER_MINUTE, BusinessClock, from_us, to_us

WARNING_FRACTION = (3, 4)  # 75 %, kept as a fraction so the threshold is exact
PAUSED = frozenset({"pending"})
STOPPED = frozenset({"resolved", "closed", "cancelled"})
RESPONDED_BY_STATUS = frozenset({"in_progress", "resolved", "closed"})


@dataclass(frozen=True)
class Target:
    """One priority's targets in a policy snapshot."""

    response_minutes: int
    resolution_minutes: int
    calendar: str


class Change(NamedTuple):
    """A history entry the clocks care about: ``status`` or ``priority``, ``old`` -> ``new``.

    A named tuple: a page of tickets reads some 250 of them from the history.
    """

    at: datetime
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class ClockResult:
    """One target (response or resolution) of one ticket at one instant."""

    due: datetime | None
    breached: bool
    # The instants the counted time reaches 75 % / 100 % of the target, when
    # that has happened or will happen if nothing changes (the sweep's triggers).
    warn_trigger: datetime | None
    breach_trigger: datetime | None
    elapsed_seconds: float
    running: bool


@dataclass(frozen=True)
class SlaResult:
    response: ClockResult
    resolution: ClockResult
    responded_at: datetime | None
    resolved_at: datetime | None
    paused: bool
    priority: int

    def view(self) -> dict[str, object]:
        """The ``sla`` object of a ticket response."""
        return {
            "response_due": self.response.due,
            "resolution_due": self.resolution.due,
            "responded_at": self.responded_at,
            "resolved_at": self.resolved_at,
            "response_breached": self.response.breached,
            "resolution_breached": self.resolution.breached,
            "paused": self.paused,
        }


class _Clock:
    """The running segments of one target and the time counted in them."""

    def __init__(self) -> None:
        # (start µs, counted before it, counted in it, clock) per running segment.
        self.segments: list[tuple[int, int, int, BusinessClock]] = []
        self.elapsed = 0
        # When the clock last stopped running (None while it runs).
        self.last_stop: int | None = None

    def run(self, start: int, end: int, clock: BusinessClock) -> None:
        if end > start:
            counted = clock.between_us(start, end)
            self.segments.append((start, self.elapsed, counted, clock))
            self.elapsed += counted

    def note(self, runs: bool, at: int) -> None:
        if runs:
            self.last_stop = None
        elif self.last_stop is None:
            self.last_stop = at

    def reached(self, amount: int) -> int | None:
        """The instant the counted time reached ``amount`` (> 0) µs, if it has."""
        if amount > self.elapsed:
            return None
        for start, before, counted, clock in self.segments:
            if before < amount <= before + counted:
                return clock.add_us(start, amount - before)
        return None


def derive(
    *,
    created_at: datetime,
    status: str,
    priority: int,
    changes: Iterable[Change],
    responded_at: datetime | None,
    policy: Mapping[int, Target],
    clocks: Mapping[str, BusinessClock],
    now: datetime,
) -> SlaResult:
    """The SLA of a ticket at ``now`` from its creation, its history and its current row.

    ``status`` and ``priority`` are the ticket's current values; the values it
    was created with are the ``old`` of the first change of each field.
    ``responded_at`` is the ticket's first response as the ticket services
    record it (first public comment by IT staff), if any.
    """
    ordered = sorted(changes, key=lambda c: c.at)
    current_status = str(_initial(ordered, "status", status))
    current_priority = int(_initial(ordered, "priority", priority))  # type: ignore[call-overload]
    start = to_us(created_at)
    end = max(to_us(now), start)
    events: list[tuple[int, str, object]] = [(to_us(c.at), c.field, c.new) for c in ordered]
    if responded_at is not None:
        events.append((to_us(responded_at), "responded", None))
        events.sort(key=lambda e: e[0])

    response, resolution = _Clock(), _Clock()
    responded: int | None = None
    resolved: int | None = None
    priority_since = start
    # The (priority, since) a clock stopped under: later priority changes do
    # not move the target of a response already given or a resolution reached.
    response_frozen: tuple[int, int] | None = None
    resolution_frozen: tuple[int, int] | None = None
    t = start
    for at_raw, field, new in events:
        at = min(max(at_raw, start), end)
        clock = clocks[policy[current_priority].calendar]
        if _response_runs(current_status, responded):
            response.run(t, at, clock)
        if _resolution_runs(current_status):
            resolution.run(t, at, clock)
        t = at
        if field == "status" and new is not None:
            current_status = str(new)
            if responded is None and current_status in RESPONDED_BY_STATUS:
                responded = at
            if current_status == "resolved" or (current_status == "closed" and resolved is None):
                resolved = at
            elif current_status not in STOPPED:
                resolved = None
        elif field == "priority" and new is not None and int(new) != current_priority:  # type: ignore[call-overload]
            current_priority = int(new)  # type: ignore[call-overload]
            priority_since = at
        elif field == "responded" and responded is None:
            responded = at
        if responded is not None and response_frozen is None:
            response_frozen = (current_priority, priority_since)
        if current_status in STOPPED:
            resolution_frozen = resolution_frozen or (current_priority, priority_since)
        else:
            resolution_frozen = None
        response.note(_response_runs(current_status, responded), at)
        resolution.note(_resolution_runs(current_status), at)
    clock = clocks[policy[current_priority].calendar]
    response_running = _response_runs(current_status, responded)
    resolution_running = _resolution_runs(current_status)
    paused = current_status in PAUSED
    if response_running:
        response.run(t, end, clock)
    if resolution_running:
        resolution.run(t, end, clock)
    response_priority, response_since = response_frozen or (current_priority, priority_since)
    resolution_priority, resolution_since = resolution_frozen or (
        current_priority,
        priority_since,
    )
    return SlaResult(
        response=_result(
            response,
            policy[response_priority].response_minutes,
            response_running,
            paused and responded is None,
            clocks[policy[response_priority].calendar],
            end,
            response_since,
        ),
        resolution=_result(
            resolution,
            policy[resolution_priority].resolution_minutes,
            resolution_running,
            paused,
            clocks[policy[resolution_priority].calendar],
            end,
            resolution_since,
        ),
        responded_at=from_us(responded) if responded is not None else None,
        resolved_at=(
            from_us(resolved)
            if resolved is not None and current_status in {"resolved", "closed"}
            else None
        ),
        paused=paused,
        priority=current_priority,
    )


def at_creation(
    *, created_at: datetime, priority: int, target: Target, clocks: Mapping[str, BusinessClock]
) -> SlaResult:
    """``derive`` of a ticket at the instant it is filed, worked out directly.

    At that instant (status ``new`` or ``assigned``, its creation the only
    history, nothing counted yet) both clocks run from the creation on the
    calendar of ``target``: each target falls due, and its warning fires, that
    much business time later. ``derive`` reaches the same result by replaying
    the history (tests/unit/test_sla_derive.py holds the two equal); this is
    what every ticket creation computes, at a quarter of the cost.
    """
    clock = clocks[target.calendar]
    start = to_us(created_at)

    def running(minutes: int) -> ClockResult:
        amount = minutes * US_PER_MINUTE
        due = from_us(clock.add_us(start, amount))
        warn = clock.add_us(start, amount * WARNING_FRACTION[0] // WARNING_FRACTION[1])
        return ClockResult(
            due=due,
            breached=False,
            warn_trigger=from_us(warn),
            breach_trigger=due,
            elapsed_seconds=0.0,
            running=True,
        )

    return SlaResult(
        response=running(target.response_minutes),
        resolution=running(target.resolution_minutes),
        responded_at=None,
        resolved_at=None,
        paused=False,
        priority=priority,
    )


def _initial(changes: list[Change], field: str, current: object) -> object:
    """The value at creation: the ``old`` of the field's first change (or its ``new``
    when that change is the creation entry itself), else the current value."""
    for change in changes:
        if change.field == field:
            return change.old if change.old is not None else change.new
    return current


def _response_runs(status: str, responded: int | None) -> bool:
    return responded is None and status not in PAUSED and status not in STOPPED


def _resolution_runs(status: str) -> bool:
    return status not in PAUSED and status not in STOPPED


def _result(
    state: _Clock,
    minutes: int,
    running: bool,
    paused: bool,
    clock: BusinessClock,
    now: int,
    since: int,
) -> ClockResult:
    """Due, breach and triggers of one target; ``since``: when the current target took effect.

    A target reached before it took effect (the priority was raised after more
    time had been used than the new target allows) is due at the change, not
    before: a ticket cannot have been late for a target it did not have.
    """
    target = minutes * US_PER_MINUTE
    warn_at = target * WARNING_FRACTION[0] // WARNING_FRACTION[1]
    # Running: counted up to now. Stopped or paused: counted up to the stop.
    ran_until = now if running else (state.last_stop if state.last_stop is not None else now)

    def reached_at(amount: int) -> int | None:
        reached = state.reached(amount)
        return max(reached, since) if reached is not None else None

    def trigger(amount: int) -> int | None:
        reached = reached_at(amount)
        if reached is not None:
            return reached if running or reached < ran_until else None
        return clock.add_us(now, amount - state.elapsed) if running else None

    due_reached = reached_at(target)
    if due_reached is not None:
        due = due_reached
    else:
        # Not reached: running clocks reach it in the future; paused ones are
        # projected from now; stopped ones show when it would have been due.
        base = now if running or paused or state.last_stop is None else state.last_stop
        due = clock.add_us(base, target - state.elapsed)
    breached = due_reached is not None and due_reached < ran_until
    warn = trigger(warn_at)
    breach = trigger(target)
    return ClockResult(
        due=from_us(due),
        breached=breached,
        warn_trigger=from_us(warn) if warn is not None else None,
        breach_trigger=from_us(breach) if breach is not None else None,
        elapsed_seconds=state.elapsed / 1_000_000,
        running=running,
    )
