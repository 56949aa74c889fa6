"""Administration of routing (admin): the routing rules in the order they are tried, and a
dry run that shows where a draft ticket would go and by which rule."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.admin.blueprint import bp, municipality_choices
from portal.forms import ButtonForm
from portal.refusals import show_errors
from portal.views import actor, requires
from service_catalog import queries as catalog_queries
from servicedesk import queues, rules

LEVELS = [
    SelectChoice("1", _l("1 – Høy")),
    SelectChoice("2", _l("2 – Middels")),
    SelectChoice("3", _l("3 – Lav")),
]
TYPES = [
    SelectChoice("incident", _l("Feil")),
    SelectChoice("service_request", _l("Bestilling eller spørsmål")),
]


class RuleForm(FlaskForm):
    position = IntegerField(
        _l("Rekkefølge"),
        validators=[
            InputRequired(_l("Skriv et tall for rekkefølgen.")),
            NumberRange(-(2**31), 2**31 - 1),
        ],
        description=_l("Reglene prøves fra lavest til høyest tall; den første som passer, vinner."),
    )
    name = StringField(_l("Navn"), validators=[Optional(), Length(max=200)])
    queue = SelectField(_l("Kø"), choices=[])
    service_code = SelectField(_l("Tjeneste"), choices=[], validators=[Optional()])
    category = StringField(_l("Kategori"), validators=[Optional(), Length(max=100)])
    municipality = SelectField(_l("Kommune"), choices=[], validators=[Optional()])
    type = SelectField(
        _l("Type"), choices=[SelectChoice("", _l("Alle")), *TYPES], validators=[Optional()]
    )
    priority = SelectField(
        _l("Prioritet"),
        choices=[SelectChoice("", _l("Alle"))]
        + [SelectChoice(str(p), str(p)) for p in range(1, 5)],
        validators=[Optional()],
    )
    keywords = StringField(
        _l("Nøkkelord"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Skilt med komma; ett av dem må stå som helt ord i tittel eller beskrivelse."
        ),
    )

    def match(self) -> dict[str, Any]:
        words = [w.strip() for w in (self.keywords.data or "").split(",") if w.strip()]
        return {
            "service_code": self.service_code.data or None,
            "category": (self.category.data or "").strip() or None,
            "municipality": self.municipality.data or None,
            "type": self.type.data or None,
            "priority": int(self.priority.data) if self.priority.data else None,
            "keywords": words or None,
        }


class RouteTestForm(FlaskForm):
    class Meta:
        csrf = False  # a GET that changes nothing

    title = StringField(
        _l("Tittel"),
        id="dry-title",
        validators=[DataRequired(_l("Skriv en tittel.")), Length(max=200)],
    )
    description = TextAreaField(
        _l("Beskrivelse"), id="dry-description", validators=[Optional(), Length(max=20_000)]
    )
    type = SelectField(_l("Type"), id="dry-type", choices=TYPES)
    service_code = SelectField(
        _l("Tjeneste"), id="dry-service_code", choices=[], validators=[Optional()]
    )
    category = StringField(
        _l("Kategori"), id="dry-category", validators=[Optional(), Length(max=100)]
    )
    municipality = SelectField(_l("Kommune"), id="dry-municipality", choices=[])
    impact = SelectField(_l("Omfang"), id="dry-impact", choices=LEVELS, default="3")
    urgency = SelectField(_l("Hastegrad"), id="dry-urgency", choices=LEVELS, default="3")


def _rule_choices(form: Any) -> None:
    session = db_session()
    if hasattr(form, "queue"):
        form.queue.choices = [
            SelectChoice(q.code, f"{q.name} ({q.code})")
            for q in queues.list_queues(session, actor())
        ]
    services = catalog_queries.list_services(session, limit=200).items
    form.service_code.choices = [SelectChoice("", _("Alle"))] + [
        SelectChoice(s.code, f"{s.code} {s.name}") for s in services
    ]
    form.municipality.choices = municipality_choices(_("Alle"))


def _rule_data(form: RuleForm) -> dict[str, Any]:
    return {
        "position": form.position.data,
        "name": form.name.data or "",
        "queue_code": form.queue.data,
        "match": form.match(),
    }


@bp.route("/routing-rules", methods=["GET", "POST"])
@requires(Role.ADMIN)
def routing_rules() -> Any:
    """The routing rules in the order they are tried; add one; try a draft ticket."""
    form = RuleForm()
    _rule_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            rules.create_rule(db_session(), actor(), _rule_data(form))
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".routing_rules"), 303)
    elif form.is_submitted():
        status = 422
    test_form = RouteTestForm(formdata=None)
    _rule_choices(test_form)
    return _rules_page(form, test_form, None, status)


def _rules_page(form: Any, test_form: Any, decision: Any, status: int) -> Any:
    return render_template(
        "admin/routing_rules.html",
        rows=rules.list_rules(db_session(), actor()),
        form=form,
        test_form=test_form,
        decision=decision,
    ), status


@bp.get("/routing-rules/test")
@requires(Role.ADMIN)
def routing_test() -> Any:
    """Dry run: where a draft ticket would go and by which rule (creates nothing)."""
    test_form = RouteTestForm(formdata=request.args)
    _rule_choices(test_form)
    form = RuleForm(formdata=None)
    _rule_choices(form)
    decision = None
    status = 200
    if test_form.validate():
        data = {
            "title": test_form.title.data,
            "description": test_form.description.data or "",
            "type": test_form.type.data,
            "service_code": test_form.service_code.data or None,
            "category": (test_form.category.data or "").strip() or None,
            "municipality": test_form.municipality.data,
            "impact": int(test_form.impact.data),
            "urgency": int(test_form.urgency.data),
        }
        try:
            decision = rules.test_route(db_session(), actor(), data)
        except DomainError as exc:
            status = show_errors(test_form, exc)
    else:
        status = 422
    return _rules_page(form, test_form, decision, status)


@bp.route("/routing-rules/<int:rule_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def routing_rule(rule_id: int) -> Any:
    """Change a routing rule (its position orders it among the others)."""
    session = db_session()
    found = rules.get_rule(session, actor(), rule_id)
    match = found.match or {}
    form = RuleForm(
        data={
            "position": found.position,
            "name": found.name,
            "queue": found.queue_code,
            "service_code": match.get("service_code") or "",
            "category": match.get("category") or "",
            "municipality": match.get("municipality") or "",
            "type": match.get("type") or "",
            "priority": str(match.get("priority") or ""),
            "keywords": ", ".join(match.get("keywords") or []),
        }
        if request.method == "GET"
        else None
    )
    _rule_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            locked = rules.get_rule(session, actor(), rule_id, for_update=True)
            rules.update_rule(session, actor(), locked, _rule_data(form))
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".routing_rules"), 303)
    elif form.is_submitted():
        status = 422
    return render_template(
        "admin/routing_rule.html", rule=found, form=form, button=ButtonForm()
    ), status


@bp.post("/routing-rules/<int:rule_id>/delete")
@requires(Role.ADMIN)
def delete_routing_rule(rule_id: int) -> Any:
    """Delete a routing rule."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    session = db_session()
    rules.delete_rule(session, actor(), rules.get_rule(session, actor(), rule_id, for_update=True))
    return redirect(url_for(".routing_rules"), 303)
