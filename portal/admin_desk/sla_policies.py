"""Administration of SLA policy sets (admin): the sets with their targets per priority,
creating or replacing one, and giving its targets to the open tickets that use it."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Regexp

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.admin_desk.blueprint import NEW_NAME, bp
from portal.forms import ButtonForm
from portal.refusals import show_errors
from portal.views import actor, requires
from servicedesk.sla import policies

NAME = Regexp(r"^[a-z0-9][a-z0-9_-]{0,49}$", message=_l("Små bokstaver, sifre, - og _."))


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
