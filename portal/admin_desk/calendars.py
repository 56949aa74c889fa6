"""Administration of the calendars the SLA clocks run on (admin): opening hours per weekday,
holidays, closed dates, recurring closures and special hours on dates."""

from __future__ import annotations

import re
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.admin_desk.blueprint import NEW_NAME, bp
from portal.refusals import show_errors
from portal.views import actor, requires
from servicedesk.sla import policies
from servicedesk.sla.clock import WEEKDAYS

DAY_NAMES = {
    "mon": _l("Mandag"),
    "tue": _l("Tirsdag"),
    "wed": _l("Onsdag"),
    "thu": _l("Torsdag"),
    "fri": _l("Fredag"),
    "sat": _l("Lørdag"),
    "sun": _l("Søndag"),
}
RANGE = re.compile(r"^\s*(\S+)\s*-\s*(\S+)\s*$")


def _ranges(text: str | None) -> list[list[str]]:
    """``"08:00-11:30, 12:00-15:30"`` → ``[["08:00", "11:30"], ["12:00", "15:30"]]``."""
    out = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        found = RANGE.match(part)
        if found is None:
            raise ValueError(part)
        out.append([found.group(1), found.group(2)])
    return out


def _ranges_check(form: Any, field: Any) -> None:
    try:
        _ranges(field.data)
    except ValueError:
        raise ValidationError(_("Skriv tidsrom som 08:00-15:30, skilt med komma."))


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _closures(text: str | None) -> list[dict[str, Any]]:
    """Lines of ``12-24 12:00`` (closed from noon) or ``easter-4`` (the whole day)."""
    out = []
    for line in _lines(text):
        rule, _sep, closed_from = line.partition(" ")
        out.append({"rule": rule, "closed_from": closed_from.strip() or None})
    return out


def _special(text: str | None) -> dict[str, list[list[str]]]:
    """Lines of ``2026-12-24: 08:00-12:00`` (an empty list of ranges closes the date)."""
    out = {}
    for line in _lines(text):
        day, _sep, ranges = line.partition(":")
        out[day.strip()] = _ranges(ranges)
    return out


def _special_check(form: Any, field: Any) -> None:
    try:
        _special(field.data)
    except ValueError:
        raise ValidationError(_("Én dato per linje: 2026-12-24: 08:00-12:00 (tomt: stengt)."))


class CalendarForm(FlaskForm):
    timezone = StringField(
        _l("Tidssone"),
        validators=[DataRequired(_l("Skriv en tidssone.")), Length(max=64)],
        description=_l("Et IANA-navn, for eksempel Europe/Oslo."),
    )
    holiday_country = StringField(
        _l("Helligdager fra land"),
        validators=[Optional(), Length(max=2)],
        description=_l("NO, SE eller tomt for ingen helligdager."),
    )
    holiday_subdivision = StringField(
        _l("Region for helligdager"), validators=[Optional(), Length(max=40)]
    )
    extra_closed_dates = TextAreaField(
        _l("Andre stengte dager"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Én dato per linje, for eksempel 2026-12-31."),
    )
    closures = TextAreaField(
        _l("Faste stengninger hvert år"),
        validators=[Optional(), Length(max=20_000)],
        description=_l(
            "Én regel per linje: MM-DD, easter±N (dager fra påskedag) eller midsummer-eve, "
            "eventuelt fulgt av klokkeslettet det stenger, for eksempel «12-24 12:00» "
            "eller «easter-4 12:00». Uten klokkeslett: hele dagen."
        ),
    )
    special_hours = TextAreaField(
        _l("Egne åpningstider på datoer"),
        validators=[Optional(), Length(max=20_000), _special_check],
        description=_l("Én dato per linje: 2026-12-24: 08:00-12:00 (tomt: stengt)."),
    )


for _day in WEEKDAYS:
    setattr(
        CalendarForm,
        f"hours_{_day}",
        StringField(
            DAY_NAMES[_day],
            validators=[Optional(), Length(max=500), _ranges_check],
            description=_l("For eksempel 08:00-15:30; flere skilt med komma; tomt: stengt."),
        ),
    )


def _calendar_doc(form: CalendarForm) -> dict[str, Any]:
    return {
        "timezone": form.timezone.data.strip(),
        "hours": {
            day: _ranges(form[f"hours_{day}"].data)
            for day in WEEKDAYS
            if _ranges(form[f"hours_{day}"].data)
        },
        "holiday_country": (form.holiday_country.data or "").strip().upper() or None,
        "holiday_subdivision": (form.holiday_subdivision.data or "").strip() or None,
        "extra_closed_dates": [
            d for d in re.split(r"[\s,]+", form.extra_closed_dates.data or "") if d
        ],
        "special_hours": _special(form.special_hours.data),
        "closures": _closures(form.closures.data),
    }


def _calendar_form_data(calendar: Any) -> dict[str, Any]:
    data = {
        "timezone": calendar.timezone,
        "holiday_country": calendar.holiday_country or "",
        "holiday_subdivision": calendar.holiday_subdivision or "",
        "extra_closed_dates": "\n".join(calendar.extra_closed_dates or []),
        "closures": "\n".join(
            f"{c['rule']} {c['closed_from']}" if c.get("closed_from") else c["rule"]
            for c in calendar.closures or []
        ),
        "special_hours": "\n".join(
            f"{day}: " + ", ".join(f"{a}-{b}" for a, b in ranges)
            for day, ranges in sorted((calendar.special_hours or {}).items())
        ),
    }
    for day in WEEKDAYS:
        data[f"hours_{day}"] = ", ".join(f"{a}-{b}" for a, b in (calendar.hours or {}).get(day, []))
    return data


@bp.get("/calendars")
@requires(Role.ADMIN)
def calendars() -> Any:
    """The calendars the SLA clocks run on."""
    return render_template(
        "admin/calendars.html", rows=policies.list_calendars(db_session(), actor())
    )


@bp.get("/calendars-new")
@requires(Role.ADMIN)
def new_calendar() -> Any:
    """Go to a new calendar's form by its name."""
    name = (request.args.get("name") or "").strip()
    if not NEW_NAME.fullmatch(name):
        return render_template(
            "admin/calendars.html",
            rows=policies.list_calendars(db_session(), actor()),
            new_name=name,
            name_error=_("Bruk små bokstaver, sifre, - og _ (høyst 50 tegn)."),
        ), 422
    return redirect(url_for(".calendar", name=name), 303)


@bp.route("/calendars/<name>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def calendar(name: str) -> Any:
    """Create or replace a calendar (PUT /calendars/{name}); 24x7 is fixed."""
    session = db_session()
    try:
        found = policies.get_calendar(session, actor(), name)
    except DomainError:
        found = None
    initial = _calendar_form_data(found) if found is not None else {"timezone": "Europe/Oslo"}
    form = CalendarForm(data=initial if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            policies.put_calendar(session, actor(), name, _calendar_doc(form))
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".calendars"), 303)
    elif form.is_submitted():
        status = 422
    return render_template(
        "admin/calendar.html", name=name, form=form, found=found, weekdays=WEEKDAYS
    ), status
