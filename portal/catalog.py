"""Catalogue and order pages: browse services, see this year's price for my municipality,
order an optional service, follow my orders, and (orderers) approve the municipality's."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import Form, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError, NotFound
from kommune_ikt.core.pagination import UNSTORABLE_TEXT
from kommune_ikt.web.edge import db_session
from portal import nav
from portal.forms import ButtonForm
from portal.views import actor, requires, signed_in
from service_catalog import catalogue, orders, queries
from service_catalog.catalogue import budget_year
from service_catalog.choices import OrderStatus, ServiceStatus, Tier
from service_catalog.reports import build as cost_reports

bp = Blueprint("portal_catalog", __name__)
nav.register("portal_catalog.catalogue", lazy_gettext("Tjenestekatalog"), order=20)
nav.register(
    "portal_catalog.order_list",
    lazy_gettext("Bestillinger"),
    roles={Role.REQUESTER, Role.ORDERER, Role.AGENT},
    order=21,
)
nav.register(
    "portal_catalog.approvals", lazy_gettext("Godkjenninger"), roles={Role.ORDERER}, order=22
)

# The flash category of these pages: other pages never show (or swallow) these messages.
FLASH = "catalog"
ORDERING_ROLES = (Role.REQUESTER, Role.ORDERER)
TIER_NAMES = {
    Tier.BASIC.value: lazy_gettext("Inkludert for alle"),
    Tier.OPTIONAL.value: lazy_gettext("Kan bestilles"),
    Tier.SPECIAL.value: lazy_gettext("Spesialbestilling"),
}


class QuantityField(IntegerField):
    """A whole number, with the page's own message when it is not one."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("Skriv antallet som et helt tall, for eksempel 3.")) from exc


def storable(form: Any, field: Any) -> None:
    """Text the database can hold (PostgreSQL refuses NUL): a 422 here, not a 500 there."""
    if field.data and UNSTORABLE_TEXT.search(field.data):
        raise ValidationError(_("Teksten har tegn som ikke kan lagres. Skriv den inn på nytt."))


class OrderForm(FlaskForm):
    """Field names as POST /orders: quantity, note (municipal roles order for their own)."""

    quantity = QuantityField(
        lazy_gettext("Antall"),
        validators=[
            InputRequired(lazy_gettext("Skriv et antall.")),
            NumberRange(
                min=1, max=1_000_000, message=lazy_gettext("Antallet må være fra 1 til 1 000 000.")
            ),
        ],
        description=lazy_gettext("Hvor mange enheter kommunen trenger."),
    )
    note = TextAreaField(
        lazy_gettext("Merknad"),
        validators=[
            Optional(),
            Length(max=2000, message=lazy_gettext("Høyst 2000 tegn.")),
            storable,
        ],
        description=lazy_gettext(
            "Valgfritt: hvem det gjelder, når det trengs, eller annet IT bør vite."
        ),
    )


class RejectForm(FlaskForm):
    """Field name as POST /orders/{id}/reject: reason (optional)."""

    reason = TextAreaField(
        lazy_gettext("Begrunnelse"),
        validators=[
            Optional(),
            Length(max=1000, message=lazy_gettext("Høyst 1000 tegn.")),
            storable,
        ],
        description=lazy_gettext("Valgfritt: fortell den som bestilte hvorfor."),
    )


class CatalogueFilter(Form):
    """The catalogue's GET form (no CSRF: it changes nothing)."""

    q = StringField(
        lazy_gettext("Søk"), description=lazy_gettext("Søk i navn, beskrivelse, kode og kategori.")
    )
    tier = SelectField(lazy_gettext("Nivå"), choices=[])
    category = SelectField(lazy_gettext("Kategori"), choices=[])


def _tier_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("Alle nivåer"))] + [
        SelectChoice(value, str(name)) for value, name in TIER_NAMES.items()
    ]


@bp.app_context_processor
def _catalog_context() -> dict[str, Any]:
    return {"tier_names": TIER_NAMES}


def _not_found(exc: DomainError) -> Any:
    return render_template("error.html", title=_("Fant ikke siden"), status=404), 404


def _refused(exc: DomainError) -> Any:
    detail = exc.to_problem(_)["detail"]
    return render_template("error.html", title=_("Det gikk ikke"), detail=detail), exc.status


bp.register_error_handler(NotFound, _not_found)
bp.register_error_handler(DomainError, _refused)


# --- the catalogue -----------------------------------------------------------------


@bp.get("/catalogue", endpoint="catalogue")
@signed_in
def catalogue_page() -> Any:
    """The service catalogue: browse by tier and category, or search."""
    session, me = db_session(), actor()
    # Municipal staff see what they can have; the IT unit also sees planned and retired.
    status = ServiceStatus.ACTIVE.value if me.is_municipal else None
    form = CatalogueFilter(request.args)
    form.tier.choices = _tier_choices()
    categories = queries.list_categories(session, status=status)
    form.category.choices = [SelectChoice("", _("Alle kategorier"))] + [
        SelectChoice(c, c) for c in categories
    ]
    tier = form.tier.data if form.tier.data in TIER_NAMES else None
    category = form.category.data if form.category.data in categories else None
    q = UNSTORABLE_TEXT.sub("", form.q.data or "").strip()[:200] or None
    page = queries.list_services(
        session,
        tier=tier,
        status=status,
        q=q,
        category=category,
        limit=50,
        cursor=request.args.get("cursor") or None,
    )
    next_url = None
    if page.next_cursor:
        next_url = url_for(
            "portal_catalog.catalogue",
            q=q,
            tier=tier,
            category=category,
            cursor=page.next_cursor,
        )
    return render_template(
        "catalog/catalogue.html",
        form=form,
        services=page.items,
        filtered=bool(tier or category or q),
        next_url=next_url,
    )


@bp.get("/catalogue/<code>")
@signed_in
def service_page(code: str) -> Any:
    """One service: what it is, its hours and target, and this year's price for my municipality."""
    session, me = db_session(), actor()
    view = catalogue.view_service(session, catalogue.get_service(session, code))
    year = budget_year()
    share, share_problem = None, None
    if view.tier == Tier.BASIC and view.price is not None and me.municipality:
        try:
            share = cost_reports.basic_service_share(
                session, me, year, view.code, current_app.config["SETTINGS"].currency
            )
        except DomainError as exc:
            share_problem = exc.to_problem(_)["detail"]
    can_order = (
        view.tier == Tier.OPTIONAL
        and view.status == ServiceStatus.ACTIVE
        and view.price is not None
        and me.is_municipal
    )
    return render_template(
        "catalog/service.html",
        service=view,
        price=view.price,
        year=year,
        share=share,
        share_problem=share_problem,
        can_order=can_order,
        form=OrderForm(formdata=None) if can_order else None,
    )


# --- ordering ----------------------------------------------------------------------


@bp.route("/catalogue/<code>/order", methods=["GET", "POST"])
@requires(*ORDERING_ROLES)
def order_service(code: str) -> Any:
    """Order an optional service for my municipality (an orderer's own order is approved)."""
    session, me = db_session(), actor()
    service = catalogue.get_service(session, code)
    if not me.is_municipal:
        # The IT unit orders through the API, naming the municipality; the page is for
        # the municipality's own staff.
        return render_template("catalog/not_orderable.html", service=service, it_role=True), 403
    orderable = service.tier == Tier.OPTIONAL and service.status == ServiceStatus.ACTIVE
    form = OrderForm() if request.method == "POST" or orderable else None
    if form is not None and form.validate_on_submit():
        data = {"service_code": code, "quantity": form.quantity.data, "note": form.note.data}
        try:
            order = orders.place_order(session, me, data)
        except DomainError as exc:
            if not orderable:
                return render_template("catalog/not_orderable.html", service=service), exc.status
            _form_errors(form, exc)
            return render_template("catalog/order.html", service=service, form=form), exc.status
        if order.status == OrderStatus.APPROVED:
            flash(_("Bestillingen er godkjent og sendt til IT-enheten for levering."), FLASH)
        else:
            flash(
                _("Bestillingen er sendt. Den venter på godkjenning fra kommunens bestiller."),
                FLASH,
            )
        return redirect(url_for("portal_catalog.order_page", order_id=order.id), 303)
    if not orderable:
        status = 409 if request.method == "POST" else 200
        return render_template("catalog/not_orderable.html", service=service), status
    assert form is not None
    status = 422 if form.errors else 200
    return render_template("catalog/order.html", service=service, form=form), status


def _form_errors(form: Any, exc: DomainError) -> None:
    """A service's refusal (in the user's language) at the field it names, else the summary."""
    problem = exc.to_problem(_)
    named = False
    for name, messages in (problem.get("errors") or {}).items():
        field = getattr(form, name, None)
        if field is not None and name != "csrf_token":
            field.errors = [*field.errors, *messages]
            named = True
    if not named:
        form.form_errors.append(problem["detail"])


# --- orders ------------------------------------------------------------------------


@bp.get("/orders")
@signed_in
def order_list() -> Any:
    """My orders (requesters), the municipality's (orderers), all (the IT unit); newest first."""
    session, me = db_session(), actor()
    page = queries.list_orders(session, me, limit=50, cursor=request.args.get("cursor") or None)
    return render_template(
        "catalog/orders.html",
        orders=page.items,
        names=queries.service_names(session, sorted({o.service_code for o in page.items})),
        people=auth_services.user_names(session, [o.created_by for o in page.items]),
        next_url=url_for("portal_catalog.order_list", cursor=page.next_cursor)
        if page.next_cursor
        else None,
    )


@bp.get("/orders/<int:order_id>")
@signed_in
def order_page(order_id: int) -> Any:
    """One order: status, service, quantity, note, who and when, and its fulfilment ticket."""
    return _order_view(order_id, RejectForm(formdata=None))


def _order_view(order_id: int, reject_form: RejectForm, status: int = 200) -> Any:
    session, me = db_session(), actor()
    order = orders.get_order(session, me, order_id)
    service = catalogue.get_service(session, order.service_code)
    people = auth_services.user_names(
        session, [order.created_by, order.approved_by, order.rejected_by, order.cancelled_by]
    )
    return render_template(
        "catalog/order_show.html",
        order=order,
        service=service,
        people=people,
        can_decide=me.has(Role.ORDERER) and order.status == OrderStatus.PENDING_APPROVAL,
        button=ButtonForm(),
        reject_form=reject_form,
    ), status


# --- approvals ---------------------------------------------------------------------


@bp.get("/approvals")
@requires(Role.ORDERER)
def approvals() -> Any:
    """The municipality's orders waiting for approval, newest first."""
    session, me = db_session(), actor()
    page = queries.list_orders(
        session,
        me,
        status=OrderStatus.PENDING_APPROVAL.value,
        limit=50,
        cursor=request.args.get("cursor") or None,
    )
    return render_template(
        "catalog/approvals.html",
        orders=page.items,
        names=queries.service_names(session, sorted({o.service_code for o in page.items})),
        people=auth_services.user_names(session, [o.created_by for o in page.items]),
        button=ButtonForm(),
        next_url=url_for("portal_catalog.approvals", cursor=page.next_cursor)
        if page.next_cursor
        else None,
    )


@bp.post("/approvals/<int:order_id>/<any(approve, reject):action>")
@requires(Role.ORDERER)
def decide(order_id: int, action: str) -> Any:
    """Approve (opens the fulfilment ticket) or reject a pending order."""
    form = RejectForm() if action == "reject" else ButtonForm()
    if not form.validate_on_submit():
        if isinstance(form, RejectForm) and "csrf_token" not in form.errors:  # reason too long
            return _order_view(order_id, form, 422)
        return render_template(
            "error.html",
            title=_("Skjemaet var utløpt"),
            detail=_("Ingenting er endret. Last siden på nytt og prøv igjen."),
        ), 400
    session, me = db_session(), actor()
    if action == "approve":
        order = orders.approve_order(session, me, order_id)
        flash(
            _(
                "Bestilling nr. %(id)s er godkjent. IT-enheten har fått en sak om leveransen.",
                id=order.id,
            ),
            FLASH,
        )
    else:
        order = orders.reject_order(session, me, order_id, form.reason.data or "")
        flash(_("Bestilling nr. %(id)s er avvist.", id=order.id), FLASH)
    if request.form.get("back") == "order":
        return redirect(url_for("portal_catalog.order_page", order_id=order.id), 303)
    return redirect(url_for("portal_catalog.approvals"), 303)
