"""Catalogue managers' pages (catalogue_manager, admin): services, prices per budget year,
participants, allocation keys, budget years (closing with a preview) and special requests.

Thin views over the same service functions as the catalogue's API resources.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal import nav
from portal.admin_forms import (
    KeyForm,
    ParticipantsForm,
    PriceForm,
    QuoteForm,
    RankForm,
    ServiceForm,
    decimal_or_none,
    money,
    show_errors,
)
from portal.forms import ButtonForm
from portal.views import actor, requires
from service_catalog import budget_years, catalogue, closing, keys, participants
from service_catalog import queries as catalog_queries
from service_catalog import special_requests as requests
from service_catalog.catalogue import PRICE_FIELDS, budget_year
from service_catalog.choices import PRICE_MODEL_OF_TIER, Tier
from service_catalog.reports import build as cost_reports

bp = Blueprint(
    "portal_catalogue_admin", __name__, url_prefix="/catalogue-admin", template_folder="templates"
)
nav.register(
    "portal_catalogue_admin.index",
    _l("Katalogforvaltning"),
    roles={Role.CATALOGUE_MANAGER},
    order=80,
)
MANAGER = Role.CATALOGUE_MANAGER


def _currency() -> str:
    return str(current_app.config["SETTINGS"].currency)


@bp.get("/")
@requires(MANAGER)
def index() -> Any:
    """The catalogue management's sub-pages."""
    return render_template("catalogue_admin/index.html")


# --- services --------------------------------------------------------------------------


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


# --- allocation keys -------------------------------------------------------------------


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


# --- budget years ----------------------------------------------------------------------


@bp.get("/budget-years")
@requires(MANAGER)
def budget_years_page() -> Any:
    """Budget years with their state; each open one links to its closing preview."""
    return render_template(
        "catalogue_admin/budget_years.html",
        rows=budget_years.list_years(db_session(), actor()),
    )


def _close_page(year: int, status: int = 200, message: str | None = None) -> Any:
    session = db_session()
    catalogue.check_year(year)
    return render_template(
        "catalogue_admin/close.html",
        year=year,
        closed=closing.is_closed(session, year),
        report=cost_reports.collaboration_report(session, actor(), year, _currency()),
        button=ButtonForm(),
        message=message,
    ), status


@bp.get("/budget-years/<int:year>/close")
@requires(MANAGER)
def close_preview(year: int) -> Any:
    """What closing the year freezes: each municipality's totals, before a confirm button."""
    return _close_page(year)


@bp.post("/budget-years/<int:year>/close")
@requires(MANAGER)
def close(year: int) -> Any:
    """Close the year (POST /budget-years/{year}/close); closing a closed year is 409."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        budget_years.close_year(db_session(), actor(), year, _currency())
    except DomainError as exc:
        db_session().rollback()
        return _close_page(year, exc.status, exc.to_problem(_)["detail"])
    return redirect(url_for(".budget_years_page"), 303)


# --- special requests ------------------------------------------------------------------


def _requests_page(
    status: int = 200, failed: int | None = None, quote: Any = None, rank: Any = None
) -> Any:
    session = db_session()
    rows = catalog_queries.list_special_requests(session, actor(), limit=200).items
    forms = {}
    for r in rows:
        forms[r.id] = (
            quote
            if failed == r.id and quote is not None
            else QuoteForm(formdata=None, prefix=f"q{r.id}"),
            rank
            if failed == r.id and rank is not None
            else RankForm(
                formdata=None, prefix=f"r{r.id}", data={"priority_rank": r.priority_rank}
            ),
        )
    return render_template(
        "catalogue_admin/special_requests.html",
        rows=rows,
        portfolio=catalog_queries.list_portfolio(session, actor()),
        forms=forms,
    ), status


@bp.get("/special-requests")
@requires(MANAGER)
def special_requests() -> Any:
    """Special requests: quote hours or an amount, and rank the portfolio."""
    return _requests_page()


@bp.post("/special-requests/<int:request_id>/quote")
@requires(MANAGER)
def quote(request_id: int) -> Any:
    """Quote a special request: hours (× the hourly rate) or an amount."""
    form = QuoteForm(prefix=f"q{request_id}")
    if form.validate_on_submit():
        data = {"hours": decimal_or_none(form.hours.data), "amount": money(form.amount.data)}
        try:
            requests.quote_request(db_session(), actor(), request_id, data)
        except DomainError as exc:
            return _requests_page(show_errors(form, exc), request_id, quote=form)
        return redirect(url_for(".special_requests") + f"#request-{request_id}", 303)
    return _requests_page(422, request_id, quote=form)


@bp.post("/special-requests/<int:request_id>/rank")
@requires(MANAGER)
def rank(request_id: int) -> Any:
    """Move a request to a place in the portfolio (PATCH priority_rank)."""
    form = RankForm(prefix=f"r{request_id}")
    if form.validate_on_submit():
        session = db_session()
        try:
            found = requests.get_request(session, actor(), request_id, for_update=True)
            requests.update_request(
                session, actor(), found, {"priority_rank": form.priority_rank.data}
            )
        except DomainError as exc:
            return _requests_page(show_errors(form, exc), request_id, rank=form)
        return redirect(url_for(".special_requests") + f"#request-{request_id}", 303)
    return _requests_page(422, request_id, rank=form)
