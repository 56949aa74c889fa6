"""The business-hours clock: pure, no database.

A calendar (opening ranges per weekday in a time zone, public holidays of a
country, extra closed dates and special opening hours for single dates) is
turned, one local year at a time, into a sorted table of open intervals in
UTC microseconds with a running sum of open time. Then

- counting business time between two instants is two binary searches, and
- adding business time to an instant is one binary search plus a walk over
  whole years,

so both cost O(log days) after the year's table is built once (O(days)).
Time zones are applied per local date, so a range "08:00-15:30" is 7.5 h on
every date, including the dates of the daylight-saving changes, and a
"00:00-24:00" day is 23 h or 25 h on those dates, as the wall clock says.
Instants are kept as integer microseconds, so adding and counting back agree
exactly.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_package
from dateutil.easter import easter
from holidays.constants import DE_FACTO, PUBLIC

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_YEAR = 31_556_952 * US_PER_SECOND  # 365.2425 days, a first guess refined per zone
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
# Adding time gives up after this many years without enough open time: a
# calendar that is closed for ever would otherwise loop for ever.
MAX_YEARS_AHEAD = 10

Range = tuple[int, int]  # minutes after local midnight, [start, end), end <= 1440


class ClockError(ValueError):
    """The calendar cannot answer (e.g. it has no open time left)."""


@dataclass(frozen=True)
class CalendarSpec:
    """What a calendar says, in plain values (hashable, so clocks can be cached by it)."""

    timezone: str = "Europe/Oslo"
    # One tuple of ranges per weekday, Monday first; an empty tuple is a closed day.
    hours: tuple[tuple[Range, ...], ...] = ((),) * 7
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    extra_closed_dates: frozenset[date] = field(default_factory=frozenset)
    # Dates with their own opening ranges instead of the weekday's (e.g. a short
    # Christmas Eve); an empty tuple closes the date.
    special_hours: tuple[tuple[date, tuple[Range, ...]], ...] = ()
    # Recurring closures: (rule, closed_from minute or None for the whole day), e.g.
    # ("12-24", 720) closes every Christmas Eve from 12:00; see ``closure_date``.
    closures: tuple[tuple[str, int | None], ...] = ()

    @classmethod
    def always_open(cls) -> CalendarSpec:
        """The ``24x7`` calendar: every minute counts, no holidays."""
        return cls(timezone="UTC", hours=(((0, MINUTES_PER_DAY),),) * 7)


def to_us(instant: datetime) -> int:
    """An aware datetime as integer microseconds since the Unix epoch."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime refused")
    return (instant - EPOCH) // ONE_US


def from_us(us: int) -> datetime:
    """Integer microseconds since the epoch as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True)
class _Year:
    """Open intervals of one local year: starts, ends, open time before each, total."""

    starts: list[int]
    ends: list[int]
    before: list[int]  # open µs in the year before interval i starts
    upto: list[int]  # open µs in the year up to the end of interval i
    total: int

    def open_before(self, us: int) -> int:
        i = bisect_right(self.starts, us) - 1
        if i < 0:
            return 0
        return self.before[i] + min(us, self.ends[i]) - self.starts[i]

    def instant_at(self, open_us: int) -> int:
        """The first instant by which ``open_us`` (> 0) of the year's open time has passed."""
        i = bisect_left(self.upto, open_us)
        return self.starts[i] + (open_us - self.before[i])


class BusinessClock:
    """Adds and counts business time on one calendar."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.zone = ZoneInfo(spec.timezone)
        self._special = dict(spec.special_hours)
        self._years: dict[int, _Year] = {}
        self._year_starts: dict[int, int] = {}
        # The bounds [start, next start) of the local year last asked for, and the
        # year: a ticket's instants mostly fall in one year (replaced whole, so
        # threads sharing the clock always read a consistent triple).
        self._last_year: tuple[int, int, int] = (0, 0, 0)

    # -- public API ---------------------------------------------------------

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant when ``amount`` of business time has run from ``start``."""
        return from_us(self.add_us(to_us(start), amount // ONE_US))

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        return from_us(self.add_us(to_us(start), round(minutes * US_PER_MINUTE)))

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Business seconds from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
        return self.between_us(to_us(start), to_us(end)) / US_PER_SECOND

    def is_open(self, instant: datetime) -> bool:
        us = to_us(instant)
        table = self._year(self._year_of(us))
        i = bisect_right(table.starts, us) - 1
        return i >= 0 and us < table.ends[i]

    def open_seconds_in_year(self, year: int) -> float:
        """Open time of one local calendar year, in seconds (0 means never open)."""
        return self._year(year).total / US_PER_SECOND

    # -- microsecond core (used by the SLA derivation and the benchmark) --------

    def between_us(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        first, last = self._year_of(start), self._year_of(end)
        if first == last:
            table = self._year(first)
            return table.open_before(end) - table.open_before(start)
        total = self._year(first).total - self._year(first).open_before(start)
        for year in range(first + 1, last):
            total += self._year(year).total
        return total + self._year(last).open_before(end)

    def add_us(self, start: int, amount: int) -> int:
        if amount <= 0:
            return start
        year = self._year_of(start)
        table = self._year(year)
        target = table.open_before(start) + amount
        for _ in range(MAX_YEARS_AHEAD + 1):
            if target <= table.total:
                return table.instant_at(target)
            target -= table.total
            year += 1
            table = self._year(year)
        raise ClockError(f"the calendar has no open time in {MAX_YEARS_AHEAD} years")

    # -- tables ---------------------------------------------------------------

    def _year_start(self, year: int) -> int:
        us = self._year_starts.get(year)
        if us is None:
            us = to_us(datetime(year, 1, 1, tzinfo=self.zone))
            self._year_starts[year] = us
        return us

    def _year_of(self, us: int) -> int:
        """The local calendar year an instant falls in."""
        start, end, year = self._last_year
        if start <= us < end:
            return year
        year = 1970 + us // US_PER_YEAR
        while us < self._year_start(year):
            year -= 1
        while us >= self._year_start(year + 1):
            year += 1
        self._last_year = (self._year_start(year), self._year_start(year + 1), year)
        return year

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._build_year(year)
            self._years[year] = table
        return table

    def closed_dates(self, year: int) -> set[date]:
        """Public holidays and extra closed dates of a year."""
        closed = {d for d in self.spec.extra_closed_dates if d.year == year}
        if self.spec.holiday_country:
            closed.update(_holidays(self.spec.holiday_country, self.spec.holiday_subdivision, year))
        return closed

    def closures_of(self, year: int) -> dict[date, int]:
        """The year's closure dates: date -> the minute the desk closes (0: all day)."""
        cut: dict[date, int] = {}
        for rule, closed_from in self.spec.closures:
            day = closure_date(rule, year)
            if day is not None:
                cut[day] = min(cut.get(day, MINUTES_PER_DAY), closed_from or 0)
        return cut

    def _build_year(self, year: int) -> _Year:
        closed = self.closed_dates(year)
        cut = self.closures_of(year)
        starts: list[int] = []
        ends: list[int] = []
        day = date(year, 1, 1)
        one_day = timedelta(days=1)
        while day.year == year:
            if day in self._special:
                ranges = self._special[day]
            elif day in closed:
                ranges = ()
            else:
                ranges = self.spec.hours[day.weekday()]
                if day in cut:
                    ranges = tuple((s, min(e, cut[day])) for s, e in ranges if s < cut[day])
            for start_min, end_min in ranges:
                start = self._local_us(day, start_min)
                end = self._local_us(day, end_min)
                if starts and start <= ends[-1]:
                    # Touching (a day open to 24:00 followed by one from 00:00) or,
                    # around a DST change, overlapping: one interval.
                    start = ends[-1]
                    if end > start:
                        ends[-1] = end
                    continue
                if end > start:
                    starts.append(start)
                    ends.append(end)
            day += one_day
        before: list[int] = []
        upto: list[int] = []
        running = 0
        for start, end in zip(starts, ends, strict=True):
            before.append(running)
            running += end - start
            upto.append(running)
        return _Year(starts, ends, before, upto, running)

    def _local_us(self, day: date, minute: int) -> int:
        if minute >= MINUTES_PER_DAY:
            day, minute = day + timedelta(days=1), minute - MINUTES_PER_DAY
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
        return to_us(local)


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays, and the days the law treats as such (``DE_FACTO``).

    Sweden's midsommarafton, julafton and nyårsafton are not public holidays but
    count as Sundays (semesterlag 1977:480, 7 §); the holidays package keeps them
    in its ``DE_FACTO`` category, so a Swedish desk asks for both.
    """
    supported = holidays_package.country_holidays(country).supported_categories
    categories = tuple(c for c in (PUBLIC, DE_FACTO) if c in supported)
    return frozenset(
        holidays_package.country_holidays(
            country, subdiv=subdivision, years=year, categories=categories
        )
    )


def closure_date(rule: str, year: int) -> date | None:
    """The date a recurring closure rule names in ``year`` (None: not in that year).

    ``MM-DD`` is that date every year (``02-29`` only in leap years);
    ``easter``, ``easter+N`` and ``easter-N`` count days from Easter Sunday
    (``easter-4``: the Wednesday before Maundy Thursday); ``midsummer-eve`` is
    the Friday between 19 and 25 June (Swedish midsommarafton).
    """
    if rule == "midsummer-eve":
        june19 = date(year, 6, 19)
        return june19 + timedelta(days=(4 - june19.weekday()) % 7)
    if rule.startswith("easter"):
        offset = int(rule[len("easter") :] or 0)
        return easter(year) + timedelta(days=offset)
    month, _, day = rule.partition("-")
    try:
        return date(year, int(month), int(day))
    except ValueError:
        return None


@lru_cache(maxsize=64)
def clock_for(spec: CalendarSpec) -> BusinessClock:
    """One clock (with its year tables) per calendar content, shared by every caller."""
    return BusinessClock(spec)


def parse_range(text_range: Iterable[str]) -> Range:
    """``["08:00", "15:30"]`` → ``(480, 930)``; ``"24:00"`` is allowed as an end."""
    start, end = (_parse_hhmm(part) for part in text_range)
    return start, end


def _parse_hhmm(text: str) -> int:
    hours, _, minutes = text.partition(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(f"{text!r} is not HH:MM")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is not a time of day")
    return value


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def hours_from_mapping(hours: Mapping[str, Iterable[Iterable[str]]]) -> tuple:
    """``{"mon": [["08:00", "15:30"]], ...}`` → the spec's per-weekday tuple (unchecked)."""
    return tuple(tuple(sorted(parse_range(r) for r in hours.get(day, []))) for day in WEEKDAYS)
