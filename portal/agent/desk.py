"""The agent's desk at ``/desk``: queue views with counts and SLA badges, filters and saved
views, bulk actions and the agent's availability."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError, ValidationFailed
from kommune_ikt.core.types import utcnow
from kommune_ikt.web.edge import db_session
from portal.agent.blueprint import bp, page_problem
from portal.agent.choices import agent_choices, queue_choices, service_choices
from portal.desk import services as desk_services
from portal.desk.badges import badges
from portal.desk.filters import FILTER_NAMES, parse_filters
from portal.desk.forms import (
    AvailabilityForm,
    BulkForm,
    FilterForm,
    SaveViewForm,
    status_choices,
)
from portal.desk.people import is_available, names_of
from portal.desk.queue_views import (
    DeskView,
    count_views,
    desk_views,
    find_view,
    get_saved_view,
    list_view,
)
from portal.desk.timeline import last_history_ids
from portal.forms import ButtonForm
from portal.refusals import place_errors
from portal.views import actor, requires
from service_catalog.municipalities import list_municipalities
from servicedesk import queries

PAGE_SIZE = 50


def _filter_form(args: MultiDict) -> FilterForm:
    form = FilterForm(formdata=args)
    form.status.choices = [
        SelectChoice("", _("Åpne saker")),
        SelectChoice("all", _("Alle")),
        *status_choices(),
    ]
    form.queue.choices = queue_choices(_("Alle"))
    form.municipality.choices = [SelectChoice("", _("Alle"))] + [
        SelectChoice(m.number, f"{m.name} ({m.number})")
        for m in list_municipalities(db_session(), actor())
    ]
    form.service_code.choices = service_choices(_("Alle"))
    form.assignee.choices = agent_choices(
        [
            SelectChoice("", _("Alle")),
            SelectChoice("me", _("Meg")),
            SelectChoice("none", _("Ingen (ufordelt)")),
        ]
    )
    return form


def _bulk_form(posted: bool = False) -> BulkForm:
    form = BulkForm() if posted else BulkForm(formdata=None)
    form.assignee.choices = agent_choices(
        [SelectChoice("me", _("Meg")), SelectChoice("none", _("Ingen (ufordelt)"))]
    )
    form.queue.choices = queue_choices(_("Velg"))
    form.status.choices = [SelectChoice("", _("Velg")), *status_choices()]
    return form


def _current_view(args: MultiDict, views: list[DeskView]) -> DeskView:
    """The view asked for: filters in the query make an unsaved one (``filter``)."""
    if any(args.get(name) for name in FILTER_NAMES):
        filters = parse_filters(args)
        return DeskView("filter", "filter", filters=filters)
    return find_view(views, args.get("view"))


def _view_args(view: DeskView) -> dict[str, str]:
    if view.kind == "filter":
        assert view.filters is not None
        return dict(parse_qsl(view.filters.query()))
    return {"view": view.key}


def _table_context(view: DeskView, cursor: str | None) -> dict[str, Any]:
    """What the table of a view shows (the page and its htmx fragment alike)."""
    session, me, now = db_session(), actor(), utcnow()
    page = list_view(session, me, view, now, limit=PAGE_SIZE, cursor=cursor)
    rows = queries.present(session, page.items, now)
    calendars = {r.id: r.sla_calendar for r in page.items}
    args: dict[str, Any] = _view_args(view)
    return {
        "view": view,
        "rows": rows,
        "badges": badges(session, rows, calendars, now),
        "names": names_of(session, [r.assignee_id for r in rows]),
        "seen": last_history_ids(session, [r.id for r in rows]),
        "next_url": url_for("portal_agent.desk_home", cursor=page.next_cursor, **args)
        if page.next_cursor
        else None,
        "here_args": {**args, **({"cursor": cursor} if cursor else {})},
    }


def _desk_page(
    args: MultiDict,
    *,
    bulk: BulkForm | None = None,
    save: SaveViewForm | None = None,
    status: int = 200,
) -> Any:
    session, me = db_session(), actor()
    views = desk_views(session, me)
    filter_form = _filter_form(args)
    try:
        view = _current_view(args, views)
    except ValidationFailed as exc:
        place_errors(filter_form, exc)
        view, status = find_view(views, "mine"), 422
    counted = [*views, view] if view.kind == "filter" else views
    counts = count_views(session, me, counted, utcnow())
    save = save or SaveViewForm(formdata=None)
    if view.kind == "filter" and view.filters is not None:
        save.query.data = view.filters.query()
    return render_template(
        "agent/desk.html",
        views=views,
        counts=counts,
        filter_form=filter_form,
        save_form=save,
        bulk_form=bulk or _bulk_form(),
        available=is_available(session, me),
        availability_form=AvailabilityForm(formdata=None),
        back=urlencode(_view_args(view)),
        **_table_context(view, args.get("cursor")),
    ), status


@bp.get("/desk")
@requires(Role.AGENT)
def desk_home() -> Any:
    """The agent's views with counts, and the chosen view's tickets by due time."""
    return _desk_page(request.args)


@bp.get("/desk/table")
@requires(Role.AGENT)
def desk_table() -> Any:
    """The table of a view alone: what the page's refresh (htmx) swaps in."""
    views = desk_views(db_session(), actor())
    view = _current_view(request.args, views)
    return render_template("agent/_table.html", **_table_context(view, request.args.get("cursor")))


@bp.post("/desk/views")
@requires(Role.AGENT)
def save_view() -> Any:
    """Save the current filters as a named view, private or shared with the IT unit."""
    form = SaveViewForm()
    query = form.query.data or ""
    if form.validate_on_submit():
        try:
            with db_session().begin_nested():
                saved = desk_services.save_view(
                    db_session(), actor(), name=form.name.data, query=query, shared=form.shared.data
                )
        except DomainError as exc:
            place_errors(form, exc)
        else:
            return redirect(url_for("portal_agent.desk_home", view=f"saved:{saved.id}"), 303)
    return _desk_page(MultiDict(parse_qsl(query)), save=form, status=422)


@bp.post("/desk/views/<int:view_id>/delete")
@requires(Role.AGENT)
def delete_view(view_id: int) -> Any:
    """Delete a saved view (its owner)."""
    if not ButtonForm().validate_on_submit():
        return _desk_page(MultiDict(), status=400)
    session = db_session()
    desk_services.delete_view(session, actor(), get_saved_view(session, actor(), view_id))
    return redirect(url_for("portal_agent.desk_home"), 303)


@bp.post("/desk/availability")
@requires(Role.AGENT)
def availability() -> Any:
    """The agent marks themselves available or not for auto-assignment."""
    form = AvailabilityForm()
    if form.validate_on_submit():
        auth_services.set_availability(db_session(), actor(), form.available.data == "1")
    return redirect(url_for("portal_agent.desk_home"), 303)


@bp.post("/desk/bulk")
@requires(Role.AGENT)
def bulk() -> Any:
    """One action on the ticked tickets, each on its own; a summary of done and refused."""
    form = _bulk_form(posted=True)
    back = MultiDict(parse_qsl(request.form.get("back", "")))
    if not form.validate_on_submit():
        return _desk_page(back, bulk=form, status=422)
    ids = [int(i) for i in request.form.getlist("ticket") if i.isdigit()]
    value: Any = None
    if form.action.data == "assign":
        chosen = form.assignee.data
        value = actor().user_id if chosen == "me" else (int(chosen) if chosen.isdigit() else None)
    elif form.action.data in ("queue", "status"):
        value = getattr(form, form.action.data).data or None
    try:
        outcomes = desk_services.apply_bulk(
            db_session(), actor(), ids, form.action.data, value, form.body.data or ""
        )
    except ValidationFailed as exc:
        place_errors(form, exc)
        return _desk_page(back, bulk=form, status=422)
    return render_template(
        "agent/bulk_done.html",
        done=[o for o in outcomes if o.done],
        refused=[(o, page_problem(o.error)["detail"]) for o in outcomes if o.error is not None],
        back=urlencode(back),
    )
