"""Subscriptions: what the municipality has of the optional services, since when and how
many; its orderers (and the IT unit) change the quantity from a day on or end it.

The same rules as PATCH /subscriptions/{id}: a municipal role's change takes effect today
or later, a closed budget year never changes, every change is kept with who and when. The
page's forms carry the version they were read at: a change made meanwhile by someone else
is shown, not overwritten (the API's If-Match).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.catalog.blueprint import FLASH, bp, expired_form
from portal.catalog.forms import EndForm, QuantityChangeForm
from portal.refusals import show_errors
from portal.views import actor, requires
from service_catalog import queries, subscriptions
from service_catalog.subscriptions import SubscriptionView

EDITORS = (Role.ORDERER, Role.AGENT)


def version(view: SubscriptionView) -> str:
    """What a form was read at: the subscription's last change."""
    return view.subscription.updated_at.isoformat()


@bp.get("/subscriptions")
@requires(*EDITORS)
def subscription_list() -> Any:
    """The municipality's subscriptions (the IT unit: every member's), oldest first."""
    session, me = db_session(), actor()
    page = subscriptions.list_subscription_views(
        session, me, limit=50, cursor=request.args.get("cursor") or None
    )
    return render_template(
        "catalog/subscriptions.html",
        rows=page.items,
        names=queries.service_names(session, sorted({s.service_code for s in page.items})),
        next_url=url_for("portal_catalog.subscription_list", cursor=page.next_cursor)
        if page.next_cursor
        else None,
    )


@bp.get("/subscriptions/<int:subscription_id>")
@requires(*EDITORS)
def subscription_page(subscription_id: int) -> Any:
    """One subscription: its quantities over time, every change, and the forms to change it."""
    return _page(subscription_id, None, None)


@bp.post("/subscriptions/<int:subscription_id>/<any(quantity, end):what>")
@requires(*EDITORS)
def change_subscription(subscription_id: int, what: str) -> Any:
    """A new quantity from a day on, or a new end (PATCH /subscriptions/{id})."""
    form: QuantityChangeForm | EndForm = QuantityChangeForm() if what == "quantity" else EndForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            return expired_form()
        return _page(subscription_id, form, None, 422)
    session, me = db_session(), actor()
    view = subscriptions.get_subscription(session, me, subscription_id, for_update=True)
    if form.version.data != version(view):
        form.form_errors.append(
            _(
                "Noen andre endret abonnementet mens du så på det. Se de nye verdiene, "
                "og send skjemaet på nytt om endringen din fortsatt trengs."
            )
        )
        form.version.data = version(view)
        return _page(subscription_id, form, view, 409)
    if isinstance(form, QuantityChangeForm):
        changes: dict[str, Any] = {"quantity": form.quantity.data}
        if form.effective_on.data is not None:
            changes["effective_on"] = form.effective_on.data
    else:
        changes = {"end_on": form.end_on.data}
    try:
        subscriptions.update_subscription(session, me, view, changes)
    except DomainError as exc:
        return _page(subscription_id, form, None, show_errors(form, exc))
    flash(_("Abonnementet er endret."), FLASH)
    return redirect(
        url_for("portal_catalog.subscription_page", subscription_id=subscription_id), 303
    )


def _page(
    subscription_id: int,
    submitted: QuantityChangeForm | EndForm | None,
    view: SubscriptionView | None,
    status: int = 200,
) -> Any:
    """The page, with the submitted form as it was sent (its errors at its fields)."""
    session, me = db_session(), actor()
    view = view or subscriptions.get_subscription(session, me, subscription_id)
    seen = version(view)
    quantity_form = submitted if isinstance(submitted, QuantityChangeForm) else None
    end_form = submitted if isinstance(submitted, EndForm) else None
    edits = subscriptions.list_edits(session, me, subscription_id)
    return render_template(
        "catalog/subscription.html",
        s=view,
        service_name=queries.service_names(session, [view.service_code]).get(view.service_code),
        edits=edits,
        people=auth_services.user_names(session, [e.changed_by for e in edits]),
        quantity_form=quantity_form or QuantityChangeForm(formdata=None, data={"version": seen}),
        end_form=end_form or EndForm(formdata=None, data={"end_on": view.end_on, "version": seen}),
    ), status
