"""Catalogue managers' pages for allocation keys: the keys, adding one, and replacing one's
definition (weights, or fixed shares per municipality)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.catalogue_admin.amounts import decimal_or_none, ratio_check
from portal.catalogue_admin.blueprint import MANAGER, bp
from portal.refusals import show_errors
from portal.views import actor, requires
from service_catalog import keys


def parse_shares(text: str | None) -> dict[str, Decimal] | None:
    """Lines of ``1505: 0.4`` (or ``1505=0,4``) as ``{"1505": Decimal("0.4")}``."""
    shares: dict[str, Decimal] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        found = re.fullmatch(r"\s*(\d{4})\s*[:=]\s*([0-9.,]+)\s*", line)
        if found is None:
            raise ValueError(line)
        shares[found.group(1)] = Decimal(found.group(2).replace(",", "."))
    return shares or None


def _shares_check(form: Any, field: Any) -> None:
    try:
        parse_shares(field.data)
    except (ValueError, InvalidOperation):
        raise ValidationError(
            gettext("Én kommune per linje: kommunenummer, kolon og andel, for eksempel 1505: 0,4.")
        )


class KeyForm(FlaskForm):
    name = StringField(_l("Navn"), validators=[DataRequired(_l("Skriv et navn.")), Length(max=80)])
    description = StringField(_l("Beskrivelse"), validators=[Optional(), Length(max=500)])
    equal_weight = StringField(
        _l("Likt delt (vekt)"),
        validators=[Optional(), ratio_check],
        description=_l("Vektet nøkkel: andelen som deles likt, for eksempel 0,3."),
    )
    population_weight = StringField(
        _l("Etter innbyggertall (vekt)"),
        validators=[Optional(), ratio_check],
        description=_l(
            "Vektet nøkkel: andelen som deles etter innbyggertall. Vektene summerer til 1."
        ),
    )
    population_year = IntegerField(
        _l("Innbyggertall fra år"),
        validators=[
            Optional(),
            NumberRange(1900, 2100, _l("Skriv et årstall mellom 1900 og 2100.")),
        ],
        description=_l("Tom: året før budsjettåret."),
    )
    fixed_shares = TextAreaField(
        _l("Faste andeler"),
        validators=[Optional(), _shares_check],
        description=_l(
            "I stedet for vekter: én kommune per linje, for eksempel 1505: 0,4. "
            "Andelene summerer til 1."
        ),
    )
    default = BooleanField(_l("Standardnøkkel"))

    def data_for_service(self) -> dict[str, Any]:
        return {
            "name": self.name.data.strip(),
            "description": self.description.data or "",
            "equal_weight": decimal_or_none(self.equal_weight.data),
            "population_weight": decimal_or_none(self.population_weight.data),
            "population_year": self.population_year.data,
            "fixed_shares": parse_shares(self.fixed_shares.data),
            "is_default": bool(self.default.data),
        }


@bp.route("/allocation-keys", methods=["GET", "POST"])
@requires(MANAGER)
def allocation_keys() -> Any:
    """The allocation keys; add one (weights or fixed shares)."""
    form = KeyForm()
    status = 200
    if form.validate_on_submit():
        try:
            keys.create_key(db_session(), actor(), form.data_for_service())
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".allocation_keys"), 303)
    elif form.is_submitted():
        status = 422
    return render_template(
        "catalogue_admin/keys.html", rows=keys.list_keys(db_session(), actor()), form=form
    ), status


def _shares_text(shares: dict[str, Decimal] | None) -> str:
    return "\n".join(f"{number}: {ratio}" for number, ratio in sorted((shares or {}).items()))


@bp.route("/allocation-keys/<path:name>", methods=["GET", "POST"])
@requires(MANAGER)
def allocation_key(name: str) -> Any:
    """Replace an allocation key's definition (PUT /allocation-keys/{name})."""
    session = db_session()
    found = keys.get_key(session, actor(), name)
    form = KeyForm(
        data={
            "name": found.name,
            "description": found.description,
            "equal_weight": "" if found.equal_weight is None else str(found.equal_weight),
            "population_weight": ""
            if found.population_weight is None
            else str(found.population_weight),
            "population_year": found.population_year,
            "fixed_shares": _shares_text(found.fixed_shares),
            "default": found.is_default,
        }
        if request.method == "GET"
        else None
    )
    form.name.data = found.name  # keys are not renamed
    status = 200
    if form.validate_on_submit():
        try:
            keys.replace_key(session, actor(), name, form.data_for_service())
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".allocation_keys"), 303)
    elif form.is_submitted():
        status = 422
    return render_template("catalogue_admin/key.html", key=found, form=form), status
