"""SLO arithmetic with no database: intervals, availability, error budget, stability figures.

Definitions (API.md, Outages and availability):

- availability over a window = 1 − unplanned downtime ÷ window length;
  planned outages are reported but not counted;
- error budget remaining = 1 − downtime ÷ ((1 − target) × window length),
  which goes negative once the budget is spent.

"Length" is measured by a ``Measure``: plain seconds for a 24×7 service, or
the seconds inside a calendar's open hours for a service agreed for business
hours only, so that downtime at night does not count against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]
Measure = Callable[[datetime, datetime], float]


def wall_seconds(start: datetime, end: datetime) -> float:
    """The 24×7 measure: every second counts."""
    return max(0.0, (end - start).total_seconds())


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The parts of ``intervals`` inside [start, end), empty parts dropped."""
    out = []
    for a, b in intervals:
        lo, hi = max(a, start), min(b, end)
        if lo < hi:
            out.append((lo, hi))
    return out


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of ``intervals`` as sorted, disjoint intervals (so nothing counts twice)."""
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def covered_seconds(
    intervals: Iterable[Interval],
    start: datetime,
    end: datetime,
    measure: Measure = wall_seconds,
) -> float:
    """Seconds of [start, end) covered by at least one of ``intervals``, by ``measure``."""
    return sum(measure(a, b) for a, b in merge(clip(intervals, start, end)))


@dataclass(frozen=True)
class Availability:
    """Availability of one service over one window."""

    target: float
    window_seconds: float
    downtime_seconds: float
    planned_seconds: float
    availability: float
    error_budget_remaining: float | None

    @property
    def error_budget_seconds(self) -> float:
        return (1 - self.target) * self.window_seconds


def availability(
    target: float,
    start: datetime,
    end: datetime,
    unplanned: Iterable[Interval],
    planned: Iterable[Interval] = (),
    measure: Measure = wall_seconds,
    budget_seconds: float | None = None,
) -> Availability:
    """Availability and error budget of [start, end).

    ``budget_seconds`` overrides the window the budget is taken from (the whole
    month when reporting a month to date); by default it is the window itself.
    An empty window (no agreed hours in it) counts as fully available.
    """
    window = measure(start, end) if end > start else 0.0
    down = covered_seconds(unplanned, start, end, measure)
    planned_down = covered_seconds(planned, start, end, measure)
    ratio = 1.0 - down / window if window > 0 else 1.0
    budget = (1 - target) * (window if budget_seconds is None else budget_seconds)
    # A 100 % target has no budget: untouched it is whole; any downtime makes the
    # ratio undefined (None), never an infinity that JSON cannot carry.
    remaining: float | None = 1.0 if down == 0 else None
    if budget > 0:
        remaining = 1.0 - down / budget
    return Availability(target, window, down, planned_down, ratio, remaining)


@dataclass(frozen=True)
class Stability:
    """How often a service failed and how fast it came back, over one window."""

    outage_count: int
    downtime_seconds: float
    mttr_seconds: float | None
    mtbf_seconds: float | None
    longest_outage_seconds: float | None


def stability(
    start: datetime,
    end: datetime,
    outages: Sequence[Interval],
    now: datetime,
    measure: Measure = wall_seconds,
) -> Stability:
    """Stability of [start, end) from the unplanned outages that started inside it.

    - MTTR: mean full duration of those outages that have ended;
    - MTBF: time up in the window ÷ number of outages (undefined without one);
    - longest: the longest full duration (an ongoing one counts up to ``now``).
    """
    started_inside = [(a, b) for a, b in outages if start <= a < end]
    down = covered_seconds(outages, start, end, measure)
    ended = [measure(a, b) for a, b in started_inside if b <= now]
    mttr = sum(ended) / len(ended) if ended else None
    count = len(started_inside)
    window = measure(start, end) if end > start else 0.0
    mtbf = (window - down) / count if count else None
    longest = max((measure(a, min(b, now)) for a, b in started_inside), default=None)
    return Stability(count, down, mttr, mtbf, longest)


def month_start(moment: datetime, tz: ZoneInfo, months_back: int = 0) -> datetime:
    """The first instant of the calendar month (in ``tz``) ``months_back`` before ``moment``'s."""
    local = moment.astimezone(tz)
    year, month = local.year, local.month - months_back
    while month < 1:
        month += 12
        year -= 1
    return datetime(year, month, 1, tzinfo=tz)


def next_month_start(first: datetime) -> datetime:
    """The first instant of the month after ``first`` (a month start), in the same zone."""
    later = first + timedelta(days=32)
    return later.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
