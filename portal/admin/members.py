"""Administration of the members (admin): the member municipalities, adding one by its
number, when one left, its SLA set, e-mail domains and population per year."""

from __future__ import annotations

import re
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
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

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.admin.blueprint import bp
from portal.refusals import show_errors
from portal.views import actor, requires
from service_catalog import municipalities
from servicedesk.sla import policies

NUMBER = Regexp(r"^\d{4}$", message=_l("Skriv et firesifret kommunenummer."))
DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def domains(text: str | None) -> list[str]:
    return [d for d in re.split(r"[\s,]+", text or "") if d]


def _domains_check(form: Any, field: Any) -> None:
    bad = [d for d in domains(field.data) if not DOMAIN.match(d)]
    if bad:
        raise ValidationError(gettext("Ikke et e-postdomene: %(domains)s.", domains=", ".join(bad)))


class MunicipalityAddForm(FlaskForm):
    number = StringField(
        _l("Kommunenummer"),
        validators=[DataRequired(_l("Skriv et firesifret kommunenummer.")), NUMBER],
        description=_l("Navn, innbyggertall og land hentes fra de offisielle listene."),
    )
    joined_on = DateField(
        _l("Medlem fra"),
        validators=[Optional()],
        description=_l("Tom: i dag."),
    )


class MunicipalityEditForm(FlaskForm):
    sla_policy_set = SelectField(_l("SLA-sett"), choices=[])
    email_domains = TextAreaField(
        _l("E-postdomener"),
        validators=[Optional(), Length(max=13_000), _domains_check],
        description=_l(
            "Ett domene per linje, for eksempel kristiansund.kommune.no. E-post fra disse "
            "domenene blir saker for kommunen."
        ),
    )
    left_on = DateField(
        _l("Utmeldt fra"),
        validators=[Optional()],
        description=_l(
            "Abonnementene avsluttes denne dagen, og åpne bestillinger avbrytes. "
            "Tom: fortsatt medlem."
        ),
    )


class PopulationForm(FlaskForm):
    year = IntegerField(
        _l("År"),
        validators=[
            InputRequired(_l("Skriv et årstall.")),
            NumberRange(1900, 2100, _l("Skriv et årstall mellom 1900 og 2100.")),
        ],
    )
    population = IntegerField(
        _l("Innbyggertall"),
        validators=[
            InputRequired(_l("Skriv innbyggertallet.")),
            NumberRange(0, 20_000_000, _l("Skriv et innbyggertall mellom 0 og 20 000 000.")),
        ],
        description=_l("Per 1. januar, slik SSB eller SCB publiserer det."),
    )
    source = StringField(_l("Kilde"), validators=[Optional(), Length(max=500)])


@bp.route("/municipalities", methods=["GET", "POST"])
@requires(Role.ADMIN)
def members() -> Any:
    """The member municipalities, and a form to add one by its number."""
    form = MunicipalityAddForm()
    status = 200
    if form.validate_on_submit():
        data = {"number": form.number.data.strip(), "joined_on": form.joined_on.data}
        try:
            added = municipalities.add_municipality(db_session(), actor(), data)
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".member", number=added.number), 303)
    elif form.is_submitted():
        status = 422
    rows = municipalities.list_municipalities(db_session(), actor())
    return render_template(
        "admin/members.html", rows=rows, form=form, is_active=municipalities.is_active
    ), status


@bp.route("/municipalities/<number>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def member(number: str) -> Any:
    """One member: when it left, and its population per year."""
    session = db_session()
    found = municipalities.get_municipality(session, actor(), number)
    form = _policy_set_choices(
        MunicipalityEditForm(data=_member_form_data(found) if request.method == "GET" else None)
    )
    population_form = PopulationForm(formdata=None)
    status = 200
    if form.validate_on_submit():
        changes = {
            "left_on": form.left_on.data,
            "sla_policy_set": form.sla_policy_set.data,
            "email_domains": domains(form.email_domains.data),
        }
        try:
            locked = municipalities.get_municipality(session, actor(), number, for_update=True)
            municipalities.update_municipality(session, actor(), locked, changes)
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".member", number=number), 303)
    elif form.is_submitted():
        status = 422
    return _member_page(found, form, population_form, status)


def _member_form_data(found: Any) -> dict[str, Any]:
    return {
        "left_on": found.left_on,
        "sla_policy_set": found.sla_policy_set,
        "email_domains": "\n".join(found.email_domains or []),
    }


def _policy_set_choices(form: MunicipalityEditForm) -> MunicipalityEditForm:
    form.sla_policy_set.choices = [
        SelectChoice(p["name"], p["name"]) for p in policies.list_policy_sets(db_session(), actor())
    ]
    return form


def _member_page(found: Any, form: Any, population_form: Any, status: int) -> Any:
    return render_template(
        "admin/member.html",
        m=found,
        form=form,
        population_form=population_form,
        populations=municipalities.list_populations(db_session(), found.number),
        active=municipalities.is_active(found),
    ), status


@bp.post("/municipalities/<number>/populations")
@requires(Role.ADMIN)
def population(number: str) -> Any:
    """Record a municipality's population for a year (PUT …/populations/{year})."""
    session = db_session()
    found = municipalities.get_municipality(session, actor(), number)
    form = PopulationForm()
    status = 422
    if form.validate_on_submit():
        data = {"population": form.population.data, "source": form.source.data or ""}
        try:
            municipalities.set_population(session, actor(), number, form.year.data, data)
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".member", number=number) + "#populations", 303)
    edit = _policy_set_choices(MunicipalityEditForm(formdata=None, data=_member_form_data(found)))
    return _member_page(found, edit, form, status)
