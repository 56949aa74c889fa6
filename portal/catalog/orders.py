"""Orders: follow mine (requesters), the municipality's (orderers) or all (the IT unit);
approve or reject (orderers), and withdraw one before it is delivered."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.web.edge import db_session
from portal.catalog.blueprint import FLASH, bp, expired_form
from portal.catalog.forms import CancelForm, RejectForm
from portal.forms import ButtonForm
from portal.views import actor, requires, signed_in
from service_catalog import catalogue, orders, queries
from service_catalog.choices import OrderStatus
from service_catalog.models import Order

# Before delivery an order can still be withdrawn (API: POST /orders/{id}/cancel).
CANCELLABLE = (OrderStatus.PENDING_APPROVAL.value, OrderStatus.APPROVED.value)


def may_cancel(me: Actor, order: Order) -> bool:
    """What orders.cancel_order allows: its creator, an orderer, the IT unit's agents."""
    return order.status in CANCELLABLE and (
        order.created_by == me.user_id or me.has(Role.ORDERER, Role.AGENT)
    )


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
    return _order_view(order_id, RejectForm(formdata=None), CancelForm(formdata=None))


def _order_view(
    order_id: int, reject_form: RejectForm, cancel_form: CancelForm, status: int = 200
) -> Any:
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
        can_cancel=may_cancel(me, order),
        cancel_form=cancel_form,
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
            return _order_view(order_id, form, CancelForm(formdata=None), 422)
        return expired_form()
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


@bp.post("/orders/<int:order_id>/cancel")
@signed_in
def cancel(order_id: int) -> Any:
    """Withdraw an order before it is delivered; the reason is kept with it."""
    form = CancelForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            return expired_form()
        return _order_view(order_id, RejectForm(formdata=None), form, 422)
    order = orders.cancel_order(db_session(), actor(), order_id, form.reason.data or "")
    flash(_("Bestilling nr. %(id)s er trukket tilbake.", id=order.id), FLASH)
    return redirect(url_for("portal_catalog.order_page", order_id=order.id), 303)
