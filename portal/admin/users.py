"""Administration of users (admin): every user with role, municipality and state; inviting
one, changing one, deactivating, and issuing and revoking bearer tokens."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from kommune_ikt.core.auth import services as users
from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.admin.blueprint import bp, municipality_choices
from portal.forms import ButtonForm
from portal.refusals import show_errors
from portal.views import actor, requires

ROLE_NAMES = {
    Role.REQUESTER: _l("Innmelder"),
    Role.ORDERER: _l("Bestiller"),
    Role.AGENT: _l("Saksbehandler"),
    Role.CATALOGUE_MANAGER: _l("Katalogforvalter"),
    Role.OPERATIONS: _l("Drift"),
    Role.ADMIN: _l("Administrator"),
}
LANGUAGE_CHOICES = [
    SelectChoice("", _l("Som nettleseren")),
    SelectChoice("nb", "Norsk bokmål"),
    SelectChoice("nn", "Norsk nynorsk"),
    SelectChoice("sv", "Svenska"),
    SelectChoice("en", "English"),
]


@bp.app_template_filter("role_name")
def role_name(role: str) -> str:
    return str(ROLE_NAMES.get(Role(role), role))


# Made before the other fields: WTForms orders a form's fields as they were made, so the
# new-user form (and its error summary) starts with the e-mail.
_EMAIL = StringField(
    _l("E-post"),
    validators=[
        DataRequired(_l("Skriv en e-postadresse.")),
        Length(max=254),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Skriv en gyldig e-postadresse.")),
    ],
)


class UserEditForm(FlaskForm):
    name = StringField(_l("Navn"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Rolle"), choices=[])
    municipality = SelectField(
        _l("Kommune"),
        choices=[],
        validators=[Optional()],
        description=_l("Bare for innmeldere og bestillere."),
    )
    language = SelectField(_l("Språk"), choices=LANGUAGE_CHOICES, validators=[Optional()])


class UserCreateForm(UserEditForm):
    email = _EMAIL


class TokenForm(FlaskForm):
    name = StringField(
        _l("Navn på nøkkelen"),
        id="token-name",
        validators=[Optional(), Length(max=100)],
        description=_l("Hva nøkkelen brukes til, for eksempel et skript."),
    )


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(r.value, str(ROLE_NAMES[r])) for r in Role]


def _user_choices(form: Any) -> None:
    form.role.choices = _role_choices()
    form.municipality.choices = municipality_choices(_("Ingen (IT-enheten)"))


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
