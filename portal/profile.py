"""My profile: name and language (as PATCH /me), with role and municipality to read."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal import nav, refusals
from portal.views import actor, signed_in
from service_catalog.municipalities import get_municipality

bp = Blueprint("portal_profile", __name__, template_folder="templates")
nav.register("portal_profile.profile", _l("Min profil"), order=90)

ROLE_NAMES = {
    Role.REQUESTER: _l("Melder (kan melde saker og bestille)"),
    Role.ORDERER: _l("Bestiller (godkjenner bestillinger og ser kommunens kostnader)"),
    Role.AGENT: _l("Saksbehandler"),
    Role.CATALOGUE_MANAGER: _l("Katalogansvarlig"),
    Role.OPERATIONS: _l("Drift"),
    Role.ADMIN: _l("Administrator"),
}


def _language_choices() -> list[SelectChoice]:
    # Each language named in itself, so that its readers find it whatever the page's language.
    return [
        SelectChoice("", _l("Følg nettleseren")),
        SelectChoice("nb", "Norsk bokmål", render_kw={"lang": "nb"}),
        SelectChoice("nn", "Norsk nynorsk", render_kw={"lang": "nn"}),
        SelectChoice("sv", "Svenska", render_kw={"lang": "sv"}),
        SelectChoice("en", "English", render_kw={"lang": "en"}),
    ]


class ProfileForm(FlaskForm):
    """What users change about themselves; field names are PATCH /me's."""

    name = StringField(
        _l("Navn"),
        validators=[Length(max=200, message=_l("Høyst %(max)d tegn."))],
        description=_l("Slik andre ser deg i sakene."),
    )
    language = SelectField(
        _l("Språk"),
        choices=[],
        description=_l("«Følg nettleseren» bruker språket nettleseren din ber om."),
    )


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
def profile() -> Any:
    """Change my name and language; see my role and municipality."""
    session, me = db_session(), actor()
    user = auth_services.get_user(session, me, me.user_id)  # type: ignore[arg-type]
    if request.method == "GET":
        form = ProfileForm(formdata=None, data={"name": user.name, "language": user.language or ""})
    else:
        form = ProfileForm()
    form.language.choices = _language_choices()
    if form.validate_on_submit():
        changes = {"name": form.name.data.strip(), "language": form.language.data or None}
        try:
            auth_services.update_me(session, me, changes)
        except DomainError as exc:
            refusals.place_errors(form, exc)
        else:
            # The next page is already in the new language: the session reads it anew.
            return redirect(url_for("portal_profile.profile", saved=1), 303)
    municipality = (
        get_municipality(session, me, me.municipality) if me.municipality is not None else None
    )
    return render_template(
        "profile/show.html",
        form=form,
        user=user,
        role_name=ROLE_NAMES.get(me.role, me.role),
        municipality=municipality,
        saved=request.method == "GET" and request.args.get("saved") == "1",
    ), 422 if form.errors or form.form_errors else 200
