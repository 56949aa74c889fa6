"""Administration of the servicedesk (admin): queues and their agents, SLA policy sets and
calendars (with their recurring closures), over the same service functions as the API."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from kommune_ikt.core.auth import services as users
from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.admin_forms import show_errors
from portal.forms import ButtonForm
from portal.views import actor, requires
from servicedesk import queues
from servicedesk.sla import policies
from servicedesk.sla.clock import WEEKDAYS

bp = Blueprint("portal_admin_desk", __name__, url_prefix="/admin/desk", template_folder="templates")
# The name of a new SLA policy set or calendar (the API's path segment).
NEW_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
NAME = Regexp(r"^[a-z0-9][a-z0-9_-]{0,49}$", message=_l("Små bokstaver, sifre, - og _."))
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


# --- queues ----------------------------------------------------------------------------


class QueueForm(FlaskForm):
    code = StringField(
        _l("Kode"),
        validators=[
            DataRequired(_l("Skriv en kode.")),
            Regexp(r"^[A-Z0-9][A-Z0-9_-]{0,39}$", message=_l("Store bokstaver, sifre, - og _.")),
        ],
    )
    name = StringField(_l("Navn"), validators=[DataRequired(_l("Skriv et navn.")), Length(max=100)])
    auto_assign = BooleanField(
        _l("Fordel nye saker automatisk"),
        description=_l("Til den tilgjengelige saksbehandleren med færrest åpne saker."),
    )
    default = BooleanField(
        _l("Standardkø"), description=_l("Hit går saker som ingen regel passer for.")
    )
    agents = SelectMultipleField(_l("Saksbehandlere"), choices=[], coerce=int)


def _agent_choices(form: QueueForm) -> None:
    rows = users.list_users(db_session(), actor(), limit=200).items
    form.agents.choices = [
        SelectChoice(u.id, f"{u.name or u.email} ({u.email})")
        for u in rows
        if u.active and u.role in (Role.AGENT, Role.ADMIN)
    ]


def _queue_data(form: QueueForm) -> dict[str, Any]:
    return {
        "code": form.code.data,
        "name": form.name.data.strip(),
        "auto_assign": bool(form.auto_assign.data),
        "agents": list(form.agents.data or []),
        "is_default": bool(form.default.data),
    }


@bp.route("/queues", methods=["GET", "POST"])
@requires(Role.ADMIN)
def queue_list() -> Any:
    """The queues with their agents; add a queue."""
    form = QueueForm()
    _agent_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            queues.create_queue(db_session(), actor(), _queue_data(form))
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".queue_list"), 303)
    elif form.is_submitted():
        status = 422
    session = db_session()
    rows = queues.present_queues(session, queues.list_queues(session, actor()))
    names = {c.value: c.label for c in form.agents.choices}
    return render_template("admin/queues.html", rows=rows, form=form, names=names), status


@bp.route("/queues/<code>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def queue(code: str) -> Any:
    """Change a queue: name, auto-assignment, agents, default."""
    session = db_session()
    found = queues.present_queues(session, [queues.get_queue(session, actor(), code)])[0]
    form = QueueForm(
        data={
            "code": found.code,
            "name": found.name,
            "auto_assign": found.auto_assign,
            "default": found.is_default,
            "agents": found.agents,
        }
        if request.method == "GET"
        else None
    )
    _agent_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            locked = queues.get_queue(session, actor(), code, for_update=True)
            changes = _queue_data(form)
            if not changes["is_default"] and not locked.is_default:
                changes.pop("is_default")
            changed = queues.update_queue(session, actor(), locked, changes)
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".queue", code=changed.code), 303)
    elif form.is_submitted():
        status = 422
    return render_template("admin/queue.html", q=found, form=form), status


# --- SLA policy sets -------------------------------------------------------------------


def _minutes(label: Any) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("Skriv et antall minutter.")),
            NumberRange(1, 10_000_000, _l("Skriv et antall minutter, 1 eller flere.")),
        ],
    )


class PolicySetForm(FlaskForm):
    name = StringField(_l("Navn"), validators=[DataRequired(_l("Skriv et navn.")), NAME])


for _i in range(4):
    setattr(PolicySetForm, f"policies_{_i}_response_minutes", _minutes(_l("Svartid (minutter)")))
    setattr(
        PolicySetForm, f"policies_{_i}_resolution_minutes", _minutes(_l("Løsningstid (minutter)"))
    )
    setattr(PolicySetForm, f"policies_{_i}_calendar", SelectField(_l("Kalender"), choices=[]))


def _calendar_choices(form: PolicySetForm) -> None:
    names = [c.name for c in policies.list_calendars(db_session(), actor())]
    for i in range(4):
        form[f"policies_{i}_calendar"].choices = [SelectChoice(n, n) for n in names]


@bp.get("/sla-policies")
@requires(Role.ADMIN)
def policy_sets() -> Any:
    """The SLA policy sets with their targets per priority."""
    return render_template(
        "admin/sla_policies.html", rows=policies.list_policy_sets(db_session(), actor())
    )


@bp.route("/sla-policies/<name>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def policy_set(name: str) -> Any:
    """Create or replace a policy set's four policies (PUT /sla-policies/{set})."""
    session = db_session()
    try:
        current = policies.get_policy_set(session, actor(), name)
    except DomainError:
        current = {"name": name, "policies": []}
    data: dict[str, Any] = {"name": name}
    for i, p in enumerate(sorted(current["policies"], key=lambda p: p["priority"])):
        data[f"policies_{i}_response_minutes"] = p["response_minutes"]
        data[f"policies_{i}_resolution_minutes"] = p["resolution_minutes"]
        data[f"policies_{i}_calendar"] = p["calendar"]
    form = PolicySetForm(data=data if request.method == "GET" else None)
    form.name.data = name
    _calendar_choices(form)
    status = 200
    if form.validate_on_submit():
        wanted = [
            {
                "priority": i + 1,
                "response_minutes": form[f"policies_{i}_response_minutes"].data,
                "resolution_minutes": form[f"policies_{i}_resolution_minutes"].data,
                "calendar": form[f"policies_{i}_calendar"].data,
            }
            for i in range(4)
        ]
        try:
            policies.put_policy_set(session, actor(), name, wanted)
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".policy_sets"), 303)
    elif form.is_submitted():
        status = 422
    changes = policies.list_policy_changes(session, actor(), name, limit=20).items
    return render_template(
        "admin/sla_policy.html",
        name=name,
        form=form,
        new=not current["policies"],
        changes=changes,
    ), status


@bp.post("/sla-policies/<name>/reapply")
@requires(Role.ADMIN)
def reapply_policy_set(name: str) -> Any:
    """Give the set's current targets to the open tickets that use it."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    result = policies.reapply_policy_set(db_session(), actor(), name)
    return render_template("admin/sla_reapplied.html", name=name, count=result["tickets_reapplied"])


@bp.get("/sla-policies-new")
@requires(Role.ADMIN)
def new_policy_set() -> Any:
    """Go to a new set's form by its name."""
    name = (request.args.get("name") or "").strip()
    if not NEW_NAME.fullmatch(name):
        return render_template(
            "admin/sla_policies.html",
            rows=policies.list_policy_sets(db_session(), actor()),
            new_name=name,
            name_error=_("Bruk små bokstaver, sifre, - og _ (høyst 50 tegn)."),
        ), 422
    return redirect(url_for(".policy_set", name=name), 303)


# --- calendars ---------------------------------------------------------------------------


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
