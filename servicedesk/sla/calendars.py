"""Calendar documents: validation of the API shape and translation to the clock's spec.

Pure (no database): the service stores what ``validate_calendar`` returns and the
clock runs on what ``spec_of`` builds from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

from kommune_ikt.core.errors import ValidationFailed
from kommune_ikt.core.messages import N_
from servicedesk.sla.clock import (
    MINUTES_PER_DAY,
    WEEKDAYS,
    CalendarSpec,
    ClockError,
    _parse_hhmm,
    clock_for,
    closure_date,
    format_minute,
    parse_range,
)

BUSINESS = "business"
ALWAYS = "24x7"
DEFAULT_TIMEZONE = "Europe/Oslo"
# The built-in calendars, as seeded by the migration (``business`` may be edited).
BUSINESS_DOCUMENT: dict[str, Any] = {
    "timezone": DEFAULT_TIMEZONE,
    "hours": {day: [["08:00", "15:30"]] for day in WEEKDAYS[:5]},
    "holiday_country": "NO",
    "holiday_subdivision": None,
    "extra_closed_dates": [],
    "special_hours": {},
    "closures": [],
}
ALWAYS_DOCUMENT: dict[str, Any] = {
    "timezone": "UTC",
    "hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS},
    "holiday_country": None,
    "holiday_subdivision": None,
    "extra_closed_dates": [],
    "special_hours": {},
    "closures": [],
}
# Recurring closure rules: a fixed day every year, days from Easter Sunday, or
# Swedish midsummer eve (see clock.closure_date).
CLOSURE_RULE = re.compile(
    r"^(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])|easter(?:[+-][1-9][0-9]?)?|midsummer-eve)$"
)


def validate_calendar(doc: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """Check a calendar document; return it normalised (sorted ranges, ISO dates).

    Every problem is a 422 naming the field, e.g. ``hours.mon.1``.
    """
    errors: dict[str, list[str]] = {}
    timezone = doc.get("timezone") or DEFAULT_TIMEZONE
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = [f"Unknown time zone {timezone!r} (use an IANA name)."]

    hours = _normalise_hours(doc.get("hours") or {}, "hours", errors)
    special = {}
    special_hours = doc.get("special_hours") or {}
    if not isinstance(special_hours, Mapping):
        errors["special_hours"] = ['An object of date -> ranges, e.g. {"2026-12-24": []}.']
        special_hours = {}
    for key, ranges in special_hours.items():
        day = _parse_date(key, f"special_hours.{key}", errors)
        if day is not None:
            special[day.isoformat()] = _normalise_ranges(ranges, f"special_hours.{key}", errors)

    country = doc.get("holiday_country")
    subdivision = doc.get("holiday_subdivision")
    if country is not None and country not in holidays_package.list_supported_countries():
        errors["holiday_country"] = [
            f"Unknown country {country!r}: an ISO 3166 code such as NO or SE, or null."
        ]
    elif country is None and subdivision is not None:
        errors["holiday_subdivision"] = ["Needs a holiday_country."]
    elif country is not None and subdivision is not None:
        try:
            holidays_package.country_holidays(country, subdiv=subdivision, years=today.year)
        except NotImplementedError:
            known = ", ".join(holidays_package.country_holidays(country).subdivisions) or "none"
            errors["holiday_subdivision"] = [f"Unknown subdivision of {country}; known: {known}."]

    closures = _normalise_closures(doc.get("closures") or [], errors)
    closed = sorted(
        {
            d.isoformat()
            for i, raw in enumerate(doc.get("extra_closed_dates") or [])
            if (d := _parse_date(raw, f"extra_closed_dates.{i}", errors)) is not None
        }
    )
    if errors:
        raise ValidationFailed(errors=errors, detail=_detail(errors))
    normalised = {
        "timezone": timezone,
        "hours": hours,
        "holiday_country": country,
        "holiday_subdivision": subdivision,
        "extra_closed_dates": closed,
        "special_hours": special,
        "closures": closures,
    }
    _check_open_every_year(normalised, today)
    return normalised


def spec_of(doc: Mapping[str, Any]) -> CalendarSpec:
    """The clock's spec of a (validated) calendar document."""
    return CalendarSpec(
        timezone=doc.get("timezone") or DEFAULT_TIMEZONE,
        hours=tuple(
            tuple(parse_range(r) for r in (doc.get("hours") or {}).get(day, [])) for day in WEEKDAYS
        ),
        holiday_country=doc.get("holiday_country"),
        holiday_subdivision=doc.get("holiday_subdivision"),
        extra_closed_dates=frozenset(
            date.fromisoformat(d) for d in doc.get("extra_closed_dates") or []
        ),
        special_hours=tuple(
            sorted(
                (date.fromisoformat(d), tuple(parse_range(r) for r in ranges))
                for d, ranges in (doc.get("special_hours") or {}).items()
            )
        ),
        closures=tuple(
            (
                c["rule"],
                _parse_hhmm(c["closed_from"]) if c.get("closed_from") is not None else None,
            )
            for c in doc.get("closures") or []
        ),
    )


def _normalise_closures(closures: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """``[{"rule": "12-24", "closed_from": "12:00"}, {"rule": "midsummer-eve"}]``, checked."""
    if not isinstance(closures, list):
        errors["closures"] = ['A list of {"rule": ..., "closed_from": "HH:MM" | null}.']
        return []
    out: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(closures):
        field = f"closures.{i}"
        if not isinstance(item, Mapping) or set(item) - {"rule", "closed_from"}:
            errors[field] = ['An object {"rule": ..., "closed_from": "HH:MM" | null}.']
            continue
        rule = item.get("rule")
        if not isinstance(rule, str) or not CLOSURE_RULE.match(rule):
            errors[f"{field}.rule"] = [
                f"{rule!r} is not a rule: MM-DD (e.g. 12-24), easter±N (days from Easter "
                "Sunday, e.g. easter-4) or midsummer-eve."
            ]
            continue
        if closure_date(rule, 2000) is None:  # a leap year: 02-29 exists, 02-30 never
            errors[f"{field}.rule"] = [f"{rule} is no date in any year."]
            continue
        closed_from = item.get("closed_from")
        if closed_from is not None:
            try:
                minute = _parse_hhmm(closed_from) if isinstance(closed_from, str) else None
            except ValueError:
                minute = None
            if minute is None:
                errors[f"{field}.closed_from"] = [
                    f"{closed_from!r} is not HH:MM (or null for the whole day)."
                ]
                continue
            closed_from = format_minute(minute)
        if rule in out:
            errors[f"{field}.rule"] = [f"{rule} is given twice."]
            continue
        out[rule] = {"rule": rule, "closed_from": closed_from}
    return list(out.values())


def _normalise_hours(
    hours: Any, field: str, errors: dict[str, list[str]]
) -> dict[str, list[list[str]]]:
    if not isinstance(hours, Mapping):
        errors[field] = ['An object of weekday -> ranges, e.g. {"mon": [["08:00", "15:30"]]}.']
        return {}
    unknown = sorted(set(hours) - set(WEEKDAYS))
    if unknown:
        errors[field] = [f"Unknown weekday(s) {', '.join(unknown)}; use {', '.join(WEEKDAYS)}."]
    out = {}
    for day in WEEKDAYS:
        if day in hours:
            ranges = _normalise_ranges(hours[day], f"{field}.{day}", errors)
            if ranges:
                out[day] = ranges
    return out


def _normalise_ranges(ranges: Any, field: str, errors: dict[str, list[str]]) -> list[list[str]]:
    if not isinstance(ranges, list):
        errors[field] = ['A list of ["HH:MM", "HH:MM"] ranges.']
        return []
    parsed: list[tuple[int, int, int]] = []
    for i, item in enumerate(ranges):
        name = f"{field}.{i}"
        if (
            not isinstance(item, list | tuple)
            or len(item) != 2
            or not all(isinstance(part, str) for part in item)
        ):
            errors[name] = ['A range is ["HH:MM", "HH:MM"].']
            continue
        try:
            start, end = parse_range(item)
        except ValueError as exc:
            errors[name] = [f"{exc}."]
            continue
        if start >= MINUTES_PER_DAY:
            errors[name] = ["A range cannot start at 24:00."]
        elif end <= start:
            errors[name] = [f"Inverted or empty range: {item[0]} is not before {item[1]}."]
        else:
            parsed.append((start, end, i))
    parsed.sort()
    for (_s1, e1, i1), (s2, _e2, i2) in pairwise(parsed):
        if s2 < e1:
            errors[f"{field}.{max(i1, i2)}"] = [
                f"Overlaps range {min(i1, i2)} ({format_minute(s2)} is before {format_minute(e1)})."
            ]
    return [[format_minute(s), format_minute(e)] for s, e, _i in parsed]


def _parse_date(raw: Any, field: str, errors: dict[str, list[str]]) -> date | None:
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    errors[field] = [f"{raw!r} is not a date (YYYY-MM-DD)."]
    return None


def _check_open_every_year(doc: dict[str, Any], today: date) -> None:
    """422 when the calendar has no open minute in a whole year (a clock would never end).

    Checked for this year, the next, and every year that has extra closed dates
    or special hours, which are the only things that differ between years apart
    from the public holidays (which never close every weekday).
    """
    if not doc["hours"]:
        raise ValidationFailed("hours", N_("The calendar has no open hour on any weekday."))
    years = {today.year, today.year + 1}
    years |= {int(d[:4]) for d in doc["extra_closed_dates"]}
    years |= {int(d[:4]) for d in doc["special_hours"]}
    if doc["closures"]:  # Easter moves: check the years around it too
        years |= set(range(today.year, today.year + 4))
    clock = clock_for(spec_of(doc))
    for year in sorted(years):
        try:
            open_seconds = clock.open_seconds_in_year(year)
        except (ClockError, OverflowError, ValueError) as exc:
            raise ValidationFailed(
                "extra_closed_dates",
                N_("Cannot use year %(year)s: %(reason)s."),
                params={"year": year, "reason": str(exc)},
            )
        if open_seconds < 3600:
            field = "extra_closed_dates" if doc["extra_closed_dates"] else "hours"
            raise ValidationFailed(
                field, N_("The calendar has no open hour in %(year)s."), params={"year": year}
            )


def _detail(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(errors.items()))
