"""Operations pages: record and end outages, the service status board, the SLA report.

Thin views over the same functions as the API (metrics.outages for POST/PATCH /outages,
metrics.queries for availability and GET /reports/sla). Times are typed and shown in the
deployment's time zone and stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.core.messages import translator
from kommune_ikt.core.types import utcnow
from kommune_ikt.web.edge import db_session
from kommune_ikt.web.i18n import current_language
from metrics import outages as outage_cases
from metrics import queries
from portal import nav
from portal.charts import Chart
from portal.forms import LocalDateField
from portal.i18n import percent
from portal.views import actor, requires
from service_catalog import queries as catalog_queries
from service_catalog.municipalities import list_municipalities

bp = Blueprint("portal_operations", __name__)
OPERATIONS = (Role.OPERATIONS,)
# lazy_gettext, not an alias: the extractor knows only that name.
# Agents work the incidents of outages, so they may read the board and the SLA report.
READERS = (Role.OPERATIONS, Role.AGENT)
nav.register("portal_operations.outages", lazy_gettext("Drift"), roles=OPERATIONS, order=60)
nav.register("portal_operations.status", lazy_gettext("Driftsstatus"), roles=READERS, order=61)
nav.register("portal_operations.sla", lazy_gettext("SLA-rapport"), roles=READERS, order=62)
DAYS = 30
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def zone() -> ZoneInfo:
    """The zone people type and read times in (the deployment's, ``TIMEZONE``)."""
    return ZoneInfo(current_app.config["SETTINGS"].timezone)


def to_utc(local: datetime | None) -> datetime | None:
    return None if local is None else local.replace(tzinfo=zone()).astimezone(UTC)


class LocalTimeField(DateTimeLocalField):
    """A ``datetime-local`` input whose refusal is in the reader's language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, format=LOCAL_FORMATS, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(
                _("Skriv dato og klokkeslett, for eksempel 2026-12-03 14:30.")
            ) from exc


class ChoiceList(SelectMultipleField):
    """Check boxes, one per choice."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class OutageForm(FlaskForm):
    service_code = SelectField(
        lazy_gettext("Tjeneste"),
        choices=[],
        validate_choice=False,  # the service function names an unknown one
        validators=[DataRequired(lazy_gettext("Velg en tjeneste."))],
    )
    planned = BooleanField(
        lazy_gettext("Planlagt arbeid"),
        description=lazy_gettext("Planlagt arbeid trekkes ikke fra tilgjengeligheten."),
    )
    started_at = LocalTimeField(
        lazy_gettext("Start"),
        validators=[InputRequired(lazy_gettext("Skriv når avbruddet startet."))],
    )
    ended_at = LocalTimeField(
        lazy_gettext("Slutt"),
        validators=[Optional()],
        description=lazy_gettext("Valgfritt: la stå tom mens avbruddet pågår."),
    )
    scope = RadioField(
        lazy_gettext("Hvem er berørt?"),
        choices=[
            SelectChoice("all", lazy_gettext("Alle kommuner")),
            SelectChoice("some", lazy_gettext("Bare kommunene som er krysset av")),
        ],
        default="all",
    )
    municipalities = ChoiceList(lazy_gettext("Berørte kommuner"), choices=[], validate_choice=False)
    description = TextAreaField(
        lazy_gettext("Beskrivelse"),
        validators=[Optional(), Length(max=10_000)],
        description=lazy_gettext("Vises på forsiden til de berørte kommunene."),
    )


class EndOutageForm(FlaskForm):
    ended_at = LocalTimeField(
        lazy_gettext("Slutt"), validators=[InputRequired(lazy_gettext("Skriv når det sluttet."))]
    )


class SlaForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it reads, it changes nothing

    municipality = SelectField(lazy_gettext("Kommune"), choices=[], validators=[Optional()])
    from_ = LocalDateField(lazy_gettext("Fra og med"), name="from", validators=[Optional()])
    to = LocalDateField(lazy_gettext("Til og med"), validators=[Optional()])


def _time_hint() -> str:
    return _("Lokal tid (%(zone)s).", zone=zone().key)


def _local_now() -> datetime:
    return utcnow().astimezone(zone()).replace(tzinfo=None, second=0, microsecond=0)


def _service_errors(form: FlaskForm, exc: DomainError) -> None:
    """The service's refusal, in the reader's language, at the field it names."""
    body = exc.to_problem(translator(current_language()))
    placed = False
    for name, messages in (body.get("errors") or {}).items():
        field = getattr(form, "from_" if name == "from" else name, None)
        if field is not None:
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(body["detail"])


def _fill_outage_choices(form: OutageForm) -> None:
    session = db_session()
    services = catalog_queries.list_services(session, limit=200).items
    form.service_code.choices = [SelectChoice("", _("Velg"))] + [
        SelectChoice(s.code, f"{s.name} ({s.code})") for s in services
    ]
    form.municipalities.choices = [
        SelectChoice(m.number, f"{m.name} ({m.number})")
        for m in list_municipalities(session, actor(), active=True)
    ]
    form.started_at.description = _time_hint()
    form.ended_at.description = f"{form.ended_at.description} {_time_hint()}"


@bp.route("/operations/outages", methods=["GET", "POST"])
@requires(*OPERATIONS)
def outages() -> Any:
    """Ongoing and recent outages, and the form to record one."""
    form = OutageForm()
    _fill_outage_choices(form)
    if request.method == "GET":
        form.started_at.data = _local_now()
    elif form.validate_on_submit():
        chosen = list(form.municipalities.data or [])
        if form.scope.data == "some" and not chosen:
            form.municipalities.errors = [_("Kryss av minst én kommune, eller velg alle.")]
        else:
            data = {
                "service_code": form.service_code.data,
                "planned": bool(form.planned.data),
                "started_at": to_utc(form.started_at.data),
                "ended_at": to_utc(form.ended_at.data),
                "municipalities": chosen if form.scope.data == "some" else None,
                "description": form.description.data or "",
            }
            try:
                made = outage_cases.create_outage(db_session(), actor(), data)
            except DomainError as exc:
                _service_errors(form, exc)
                return _outages_list(form, exc.status)
            return redirect(url_for(".outages", recorded=made.id), 303)
    return _outages_list(form, 422 if form.errors or form.form_errors else 200)


def _outages_list(form: OutageForm, status: int) -> Any:
    session, now = db_session(), utcnow()
    current = queries.list_outages(session, actor(), limit=100, cursor=None, current_at=now)
    recent = queries.list_outages(session, actor(), limit=20, cursor=None, ongoing=False)
    names = {m.number: m.name for m in list_municipalities(session, actor())}
    return render_template(
        "operations/outages.html",
        form=form,
        current=current.items,
        ended=[o for o in recent.items if o.ended_at is not None and o.ended_at <= now],
        now=now,
        names=names,
        recorded=request.args.get("recorded", type=int),
    ), status


@bp.route("/operations/outages/<int:outage_id>", methods=["GET", "POST"])
@requires(*OPERATIONS)
def outage(outage_id: int) -> Any:
    """One outage, with the form to end it (the web form of PATCH /outages/{id} ended_at)."""
    session = db_session()
    found = outage_cases.get_outage(
        session, actor(), outage_id, for_update=request.method == "POST"
    )
    form = EndOutageForm()
    form.ended_at.description = _time_hint()
    status = 200
    if request.method == "GET":
        ended = found.ended_at
        form.ended_at.data = (
            ended.astimezone(zone()).replace(tzinfo=None) if ended is not None else _local_now()
        )
    elif form.validate_on_submit():
        try:
            outage_cases.update_outage(
                session, actor(), found, {"ended_at": to_utc(form.ended_at.data)}
            )
        except DomainError as exc:
            _service_errors(form, exc)
            status = exc.status
        else:
            return redirect(url_for(".outages", ended=found.id), 303)
    else:
        status = 422
    names = {m.number: m.name for m in list_municipalities(session, actor())}
    return render_template(
        "operations/outage.html", outage=found, form=form, names=names, now=utcnow()
    ), status


@bp.get("/operations/status")
@requires(*READERS)
def status() -> Any:
    """Every active service: availability against its target, error budget, outages, probes."""
    board = queries.get_status_board(db_session(), actor(), tz=zone(), days=DAYS)
    chosen = request.args.get("service")
    line = next((b for b in board if b.service.code == chosen), None)
    if line is None and board:
        # By default the service closest to (or furthest past) its target.
        line = min(board, key=lambda b: (b.last_days["availability"], b.service.code))
    chart = None
    if line is not None:
        chart = _daily_chart(line)
    return render_template("operations/status.html", board=board, line=line, chart=chart, days=DAYS)


def _daily_chart(line: queries.StatusLine) -> Chart:
    values = [a for _, a in line.daily]
    target = line.last_days["target"]
    lowest = min([*values, target if target is not None else 1.0])
    # The axis starts a little under the lowest bar (or the target), so small dips show.
    floor = max(0.0, lowest - max((1.0 - lowest) * 0.5, 0.001))
    worst = min(line.daily, key=lambda d: d[1])
    return Chart(
        title=_("Tilgjengelighet per dag for %(name)s", name=line.service.name),
        labels=[d.strftime("%d.%m") for d, _ in line.daily],
        series=[(_("Tilgjengelighet"), values)],
        format_value=lambda v: percent(float(v), 3),
        target=target,
        target_label=_("Mål: %(target)s", target=percent(target)) if target is not None else "",
        floor=floor,
        summary=_(
            "Laveste dag: %(day)s med %(value)s. Mål: %(target)s.",
            day=worst[0].strftime("%d.%m.%Y"),
            value=percent(worst[1], 3),
            target=percent(target) if target is not None else "–",
        ),
    )


@bp.get("/operations/sla")
@requires(*READERS)
def sla() -> Any:
    """SLA compliance per municipality and priority over a period, with a CSV download."""
    session, me = db_session(), actor()
    form = SlaForm(request.args)
    form.municipality.choices = [SelectChoice("", _("Alle kommuner"))] + [
        SelectChoice(m.number, f"{m.name} ({m.number})") for m in list_municipalities(session, me)
    ]
    today = utcnow().astimezone(zone()).date()
    if not request.args.get("from"):
        form.from_.data = today.replace(day=1)
    if not request.args.get("to"):
        form.to.data = today
    report, status = None, 200
    if form.validate():
        try:
            report = queries.get_sla_report(
                session,
                me,
                start=_day_start(form.from_.data),
                end=_day_start(form.to.data + timedelta(days=1)),
                municipality=form.municipality.data or None,
            )
        except DomainError as exc:
            _service_errors(form, exc)
            status = exc.status
    else:
        status = 422
    if report is not None and request.args.get("format") == "csv":
        response = current_app.response_class(
            queries.sla_report_csv(report["rows"]).encode("utf-8"),
            content_type="text/csv; charset=utf-8; header=present",
        )
        response.headers["Content-Disposition"] = 'attachment; filename="sla-report.csv"'
        return response
    names = {m.number: m.name for m in list_municipalities(session, me)}
    csv_url = None
    if report is not None:
        csv_url = url_for(
            ".sla",
            municipality=form.municipality.data or "",
            format="csv",
            **{"from": form.from_.data.isoformat(), "to": form.to.data.isoformat()},
        )
    return render_template(
        "operations/sla.html", form=form, report=report, names=names, csv_url=csv_url
    ), status


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone()).astimezone(UTC)
