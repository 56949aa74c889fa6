"""Catalogue managers' pages for services (catalogue_manager, admin): the catalogue with this
year's prices, a service's details, its price per budget year, and who shares a basic
service's cost."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.catalogue_admin.amounts import decimal_or_none, money, money_check, ratio_check
from portal.catalogue_admin.blueprint import MANAGER, bp
from portal.refusals import show_errors
from portal.views import actor, requires
from service_catalog import catalogue, closing, keys, participants
from service_catalog import queries as catalog_queries
from service_catalog.catalogue import PRICE_FIELDS, budget_year
from service_catalog.choices import PRICE_MODEL_OF_TIER, Tier

SERVICE_CODE = Regexp(
    r"^[A-Z0-9][A-Z0-9._-]{0,39}$",
    message=_l("Store bokstaver, sifre, punktum, _ og -, høyst 40 tegn (for eksempel M365-LIC)."),
)


class ServiceForm(FlaskForm):
    code = StringField(_l("Kode"), validators=[DataRequired(_l("Skriv en kode.")), SERVICE_CODE])
    name = StringField(_l("Navn"), validators=[DataRequired(_l("Skriv et navn.")), Length(max=200)])
    description = TextAreaField(_l("Beskrivelse"), validators=[Optional(), Length(max=10_000)])
    tier = SelectField(
        _l("Nivå"),
        choices=[
            SelectChoice("basic", _l("Grunnleggende (fordeles)")),
            SelectChoice("optional", _l("Valgfri (per enhet)")),
            SelectChoice("special", _l("Spesiell (etter tilbud)")),
        ],
    )
    category = StringField(_l("Kategori"), validators=[Optional(), Length(max=100)])
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("planned", _l("Planlagt")),
            SelectChoice("active", _l("Aktiv")),
            SelectChoice("retired", _l("Avviklet")),
        ],
    )
    availability_target = StringField(
        _l("Tilgjengelighetsmål"),
        validators=[Optional(), ratio_check],
        description=_l("Et desimaltall mellom 0 og 1, for eksempel 0,995. Tom: uten mål."),
    )
    service_hours = SelectField(
        _l("Åpningstid"),
        choices=[
            SelectChoice("business", _l("Kontortid")),
            SelectChoice("extended", _l("Utvidet")),
            SelectChoice("24x7", _l("Døgnet rundt")),
        ],
    )


class PriceForm(FlaskForm):
    year = IntegerField(
        _l("Budsjettår"),
        validators=[
            InputRequired(_l("Skriv et årstall.")),
            NumberRange(2000, 2100, _l("Skriv et budsjettår mellom 2000 og 2100.")),
        ],
    )
    annual_cost = StringField(_l("Årlig kostnad"), validators=[Optional(), money_check])
    allocation_key = SelectField(_l("Fordelingsnøkkel"), choices=[], validators=[Optional()])
    unit = SelectField(
        _l("Enhet"),
        choices=[
            SelectChoice("user", _l("bruker")),
            SelectChoice("licence", _l("lisens")),
            SelectChoice("device", _l("enhet")),
            SelectChoice("site", _l("lokasjon")),
            SelectChoice("item", _l("stykk")),
        ],
        validators=[Optional()],
    )
    unit_price = StringField(_l("Enhetspris"), validators=[Optional(), money_check])
    period = SelectField(
        _l("Periode"),
        choices=[
            SelectChoice("month", _l("per måned")),
            SelectChoice("year", _l("per år")),
            SelectChoice("once", _l("én gang")),
        ],
        validators=[Optional()],
    )
    setup_fee = StringField(_l("Etableringsgebyr"), validators=[Optional(), money_check])
    hourly_rate = StringField(_l("Timepris"), validators=[Optional(), money_check])


class ParticipantsForm(FlaskForm):
    year = IntegerField(
        _l("Budsjettår"),
        id="participants-year",
        validators=[
            InputRequired(_l("Skriv et årstall.")),
            NumberRange(2000, 2100, _l("Skriv et budsjettår mellom 2000 og 2100.")),
        ],
    )
    municipalities = StringField(
        _l("Deltakende kommuner"),
        validators=[Optional(), Length(max=6000)],
        description=_l("Kommunenumre skilt med komma."),
    )


def _service_data(form: ServiceForm) -> dict[str, Any]:
    return {
        "name": form.name.data.strip(),
        "description": form.description.data or "",
        "category": form.category.data or "",
        "status": form.status.data,
        "availability_target": decimal_or_none(form.availability_target.data),
        "service_hours": form.service_hours.data,
    }


@bp.route("/services", methods=["GET", "POST"])
@requires(MANAGER)
def services() -> Any:
    """The catalogue with this budget year's prices; add a service."""
    form = ServiceForm()
    status = 200
    if form.validate_on_submit():
        data = {"code": form.code.data, "tier": form.tier.data, **_service_data(form)}
        try:
            created = catalogue.create_service(db_session(), actor(), data)
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".service", code=created.code), 303)
    elif form.is_submitted():
        status = 422
    page = catalog_queries.list_service_views(db_session(), limit=200)
    return render_template(
        "catalogue_admin/services.html", rows=page.items, form=form, year=budget_year()
    ), status


def _service_page(found: Any, form: Any, price_form: Any, part_form: Any, status: int) -> Any:
    session = db_session()
    tier = Tier(found.tier)
    model = PRICE_MODEL_OF_TIER[tier]
    price_form.allocation_key.choices = [SelectChoice("", _("Standardnøkkelen"))] + [
        SelectChoice(k.name, k.name) for k in keys.list_keys(session, actor())
    ]
    year = part_form.year.data or budget_year()
    return render_template(
        "catalogue_admin/service.html",
        s=found,
        form=form,
        price_form=price_form,
        part_form=part_form,
        price_fields=PRICE_FIELDS[model],
        prices=catalogue.list_prices(session, found.code),
        closed=closing.closed_years(session),
        participants=participants.get_participants(session, found.code, year)
        if tier == Tier.BASIC
        else None,
    ), status


def _service_form_data(found: Any) -> dict[str, Any]:
    target = found.availability_target
    return {
        "code": found.code,
        "name": found.name,
        "description": found.description,
        "tier": found.tier,
        "category": found.category,
        "status": found.status,
        "availability_target": "" if target is None else str(target),
        "service_hours": found.service_hours,
    }


@bp.route("/services/<code>", methods=["GET", "POST"])
@requires(MANAGER)
def service(code: str) -> Any:
    """Edit a service; its prices per budget year; who shares a basic service's cost."""
    session = db_session()
    found = catalogue.get_service(session, code)
    form = ServiceForm(data=_service_form_data(found) if request.method == "GET" else None)
    # The code and the tier are fixed once a service exists.
    form.code.data, form.tier.data = found.code, found.tier
    status = 200
    if form.validate_on_submit():
        try:
            locked = catalogue.get_service(session, code, for_update=True)
            catalogue.update_service(session, actor(), locked, _service_data(form))
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".service", code=code), 303)
    elif form.is_submitted():
        status = 422
    year = request.args.get("year", type=int) or budget_year()
    return _service_page(
        found,
        form,
        PriceForm(formdata=None, data={"year": year}),
        ParticipantsForm(formdata=None, data={"year": year}),
        status,
    )


@bp.post("/services/<code>/prices")
@requires(MANAGER)
def price(code: str) -> Any:
    """Set a budget year's price (PUT /services/{code}/prices/{year}); a closed year is 409."""
    session = db_session()
    found = catalogue.get_service(session, code)
    form = PriceForm()
    status = 422
    form.allocation_key.choices = [SelectChoice("", "")] + [
        SelectChoice(k.name, k.name) for k in keys.list_keys(session, actor())
    ]
    if form.validate_on_submit():
        model = PRICE_MODEL_OF_TIER[Tier(found.tier)]
        data: dict[str, Any] = {}
        for name in PRICE_FIELDS[model]:
            raw = getattr(form, name).data
            if name in ("annual_cost", "unit_price", "setup_fee", "hourly_rate"):
                data[name] = money(raw)
            else:
                data[name] = raw or None
        try:
            catalogue.set_price(session, actor(), code, form.year.data, data)
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".service", code=code) + "#prices", 303)
    return _service_page(
        found,
        ServiceForm(formdata=None, data=_service_form_data(found)),
        form,
        ParticipantsForm(formdata=None, data={"year": budget_year()}),
        status,
    )


@bp.post("/services/<code>/participants")
@requires(MANAGER)
def set_participants(code: str) -> Any:
    """Name the members sharing a basic service's cost in a budget year."""
    session = db_session()
    found = catalogue.get_service(session, code)
    form = ParticipantsForm()
    status = 422
    if form.validate_on_submit():
        numbers = [n.strip() for n in (form.municipalities.data or "").split(",") if n.strip()]
        try:
            participants.set_participants(session, actor(), code, form.year.data, numbers)
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(
                url_for(".service", code=code, year=form.year.data) + "#participants", 303
            )
    return _service_page(
        found,
        ServiceForm(formdata=None, data=_service_form_data(found)),
        PriceForm(formdata=None, data={"year": budget_year()}),
        form,
        status,
    )
