"""Special request pages for orderers: the municipality's requests, a new one, a quote's answer.

The API lets only orderers (and admin) read or submit special requests, so requesters
get the 403 page here too; the IT unit's quoting and ranking live on its own pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal import nav, refusals
from portal.forms import ButtonForm
from portal.views import actor, requires
from service_catalog import queries
from service_catalog import special_requests as requests
from service_catalog.choices import SpecialRequestStatus
from service_catalog.municipalities import list_municipalities

bp = Blueprint("portal_special", __name__, template_folder="templates")
nav.register(
    "portal_special.special_requests", _l("Spesialbestillinger"), roles={Role.ORDERER}, order=35
)


class SpecialRequestForm(FlaskForm):
    """A new special request; field names are the API's."""

    municipality = SelectField(_l("Kommune"), choices=[])
    title = StringField(
        _l("Tittel"),
        validators=[DataRequired(_l("Skriv en tittel.")), Length(max=200)],
        description=_l("Kort: hva trenger dere?"),
    )
    description = TextAreaField(
        _l("Beskrivelse"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Hva skal gjøres, hvorfor, og hvem kan svare på spørsmål?"),
    )
    desired_by = DateField(
        _l("Ønsket ferdig"),
        validators=[Optional()],
        format=["%Y-%m-%d", "%d.%m.%Y"],
        invalid_value_message=_l("Skriv en dato, for eksempel 31.12.2026."),
        description=_l("Valgfritt. Datoen dere ønsker arbeidet ferdig."),
    )


@bp.context_processor
def _dates() -> dict[str, Any]:
    return {"format_date": format_date, "format_decimal": format_decimal}


@bp.get("/special-requests")
@requires(Role.ORDERER)
def special_requests() -> Any:
    """The municipality's special requests, newest first, with status, quote and rank."""
    session = db_session()
    page = queries.list_special_requests(
        session, actor(), limit=50, cursor=request.args.get("cursor")
    )
    return render_template(
        "special/list.html", special_requests=page.items, next_cursor=page.next_cursor
    )


@bp.route("/special-requests/new", methods=["GET", "POST"])
@requires(Role.ORDERER)
def new_special_request() -> Any:
    """Ask the IT unit for work outside the catalogue."""
    me = actor()
    form = SpecialRequestForm()
    if me.is_municipal:
        del form.municipality
    else:
        form.municipality.choices = [SelectChoice("", _("Velg kommune"))] + [
            SelectChoice(m.number, f"{m.name} ({m.number})")
            for m in list_municipalities(db_session(), me, active=True)
        ]
    if form.validate_on_submit():
        data = {
            "title": form.title.data,
            "description": form.description.data or "",
            "desired_by": form.desired_by.data,
        }
        if not me.is_municipal:
            data["municipality"] = form.municipality.data or None
        try:
            made = requests.submit_request(db_session(), me, data)
        except DomainError as exc:
            refusals.place_errors(form, exc)
        else:
            return redirect(url_for("portal_special.special_request", request_id=made.id), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("special/new.html", form=form), status


@bp.get("/special-requests/<int:request_id>")
@requires(Role.ORDERER)
def special_request(request_id: int) -> Any:
    """One request: its quote, and the answer to it while it is open."""
    return _request_page(request_id)


def _request_page(request_id: int, refusal: str | None = None, status: int = 200) -> Any:
    found = requests.get_request(db_session(), actor(), request_id)
    return render_template(
        "special/show.html",
        sr=found,
        button=ButtonForm(formdata=None),
        can_answer=found.status == SpecialRequestStatus.QUOTED and actor().has(Role.ORDERER),
        refusal=refusal,
    ), status


@bp.post("/special-requests/<int:request_id>/<any(accept, reject):action>")
@requires(Role.ORDERER)
def answer_quote(request_id: int, action: str) -> Any:
    """Accept or decline the quote (the same use cases as POST …/accept and …/reject)."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    answer = requests.accept_request if action == "accept" else requests.reject_request
    try:
        answer(db_session(), actor(), request_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _request_page(request_id, refusals.messages(exc)[0], exc.status)
    return redirect(url_for("portal_special.special_request", request_id=request_id), 303)
