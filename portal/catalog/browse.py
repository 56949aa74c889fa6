"""The catalogue: browse services, see this year's price for my municipality, and order an
optional service (an orderer's own order is approved at once)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from kommune_ikt.core.errors import DomainError
from kommune_ikt.core.pagination import UNSTORABLE_TEXT
from kommune_ikt.web.edge import db_session
from portal.catalog.blueprint import FLASH, ORDERING_ROLES, TIER_NAMES, bp
from portal.catalog.forms import CatalogueFilter, OrderForm
from portal.refusals import show_errors
from portal.views import actor, requires, signed_in
from service_catalog import catalogue, orders, queries
from service_catalog.catalogue import budget_year
from service_catalog.choices import OrderStatus, ServiceStatus, Tier
from service_catalog.reports import build as cost_reports


def _tier_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("Alle nivåer"))] + [
        SelectChoice(value, str(name)) for value, name in TIER_NAMES.items()
    ]


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
            status = show_errors(form, exc)
            return render_template("catalog/order.html", service=service, form=form), status
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
