"""Administration pages (admin): members, users and their tokens, routing rules with a dry run.

Thin views over the same service functions as the API's resources (kommune_ikt.core.auth,
service_catalog.municipalities, servicedesk.rules); a refusal is shown at its field.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from kommune_ikt.core.auth import services as users
from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal import nav
from portal.admin_forms import (
    ROLE_NAMES,
    MunicipalityAddForm,
    MunicipalityEditForm,
    PopulationForm,
    RouteTestForm,
    RuleForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
    domains,
    show_errors,
)
from portal.forms import ButtonForm
from portal.views import actor, requires
from service_catalog import municipalities
from service_catalog import queries as catalog_queries
from servicedesk import queues, rules
from servicedesk.sla import policies

bp = Blueprint("portal_admin", __name__, url_prefix="/admin", template_folder="templates")
nav.register("portal_admin.index", _l("Administrasjon"), roles={Role.ADMIN}, order=90)


@bp.app_template_filter("role_name")
def role_name(role: str) -> str:
    return str(ROLE_NAMES.get(Role(role), role))


@bp.get("/")
@requires(Role.ADMIN)
def index() -> Any:
    """The administration's sub-pages."""
    return render_template("admin/index.html")


# --- members ---------------------------------------------------------------------------


def _municipality_choices(blank: str) -> list[SelectChoice]:
    rows = municipalities.list_municipalities(db_session(), actor())
    return [SelectChoice("", blank)] + [
        SelectChoice(m.number, f"{m.number} {m.name}") for m in rows
    ]


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


# --- users and tokens -------------------------------------------------------------------


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(r.value, str(ROLE_NAMES[r])) for r in Role]


def _user_choices(form: Any) -> None:
    form.role.choices = _role_choices()
    form.municipality.choices = _municipality_choices(_("Ingen (IT-enheten)"))


@bp.route("/users", methods=["GET", "POST"])
@requires(Role.ADMIN)
def users_page() -> Any:
    """Every user with role, municipality, state and last sign-in; invite a new one."""
    form = UserCreateForm()
    _user_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            created = users.create_user(
                db_session(),
                actor(),
                email=form.email.data,
                name=form.name.data or "",
                role=form.role.data,
                municipality=form.municipality.data or None,
                language=form.language.data or None,
            )
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".user", user_id=created.id), 303)
    elif form.is_submitted():
        status = 422
    page = users.list_users(db_session(), actor(), limit=200, cursor=request.args.get("cursor"))
    return render_template(
        "admin/users.html", rows=page.items, next_cursor=page.next_cursor, form=form
    ), status


def _user_page(user: Any, form: Any, token_form: Any, status: int = 200) -> Any:
    tokens = users.list_tokens(db_session(), actor(), user.id, limit=200).items
    return render_template(
        "admin/user.html",
        user=user,
        form=form,
        token_form=token_form,
        tokens=tokens,
        button=ButtonForm(),
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def user(user_id: int) -> Any:
    """One user: change name, role, municipality and language; tokens; deactivation."""
    session = db_session()
    found = users.get_user_for_admin(session, actor(), user_id)
    form = UserEditForm(
        data={
            "name": found.name,
            "role": found.role,
            "municipality": found.municipality_number or "",
            "language": found.language or "",
        }
        if request.method == "GET"
        else None
    )
    _user_choices(form)
    status = 200
    if form.validate_on_submit():
        changes = {
            "name": form.name.data or "",
            "role": form.role.data,
            "municipality": form.municipality.data or None,
            "language": form.language.data or None,
        }
        try:
            locked = users.get_user_for_admin(session, actor(), user_id, for_update=True)
            users.update_user(session, actor(), locked, changes)
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".user", user_id=user_id), 303)
    elif form.is_submitted():
        status = 422
    return _user_page(found, form, TokenForm(formdata=None), status)


@bp.post("/users/<int:user_id>/<any(deactivate, activate):action>")
@requires(Role.ADMIN)
def set_active(user_id: int, action: str) -> Any:
    """Deactivate a user (ends their tokens and web sessions at once), or activate again."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    session = db_session()
    found = users.get_user_for_admin(session, actor(), user_id, for_update=True)
    try:
        users.update_user(session, actor(), found, {"active": action == "activate"})
    except DomainError as exc:
        form = UserEditForm(formdata=None, obj=found)
        _user_choices(form)
        return _user_page(found, form, TokenForm(formdata=None), show_errors(form, exc))
    return redirect(url_for(".user", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/tokens")
@requires(Role.ADMIN)
def new_token(user_id: int) -> Any:
    """Issue a bearer token; the result page shows it once."""
    session = db_session()
    found = users.get_user_for_admin(session, actor(), user_id)
    form = TokenForm()
    if not form.validate_on_submit():
        edit = UserEditForm(formdata=None, obj=found)
        _user_choices(edit)
        return _user_page(found, edit, form, 422)
    issued = users.issue_token(session, actor(), user_id, form.name.data or "")
    response = render_template(
        "admin/token_issued.html", user=found, token=issued.token, secret=issued.secret
    )
    # The secret must not stay in a cache or the browser's history copies.
    return response, 201, {"Cache-Control": "no-store"}


@bp.post("/tokens/<int:token_id>/revoke")
@requires(Role.ADMIN)
def revoke_token(token_id: int) -> Any:
    """Revoke a token (DELETE /tokens/{id})."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    token = users.revoke_token(db_session(), actor(), token_id)
    return redirect(url_for(".user", user_id=token.user_id) + "#tokens", 303)


# --- routing rules ----------------------------------------------------------------------


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
    form.municipality.choices = _municipality_choices(_("Alle"))


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
