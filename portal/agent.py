"""The agent's workspace at ``/desk``: queue views with counts and SLA badges, one ticket's
whole story with the forms to work it, bulk actions, availability and saved views."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from wtforms.fields.choices import SelectChoice

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError, ValidationFailed
from kommune_ikt.core.types import utcnow
from kommune_ikt.web.edge import db_session
from portal import nav
from portal.desk import queries as desk
from portal.desk import services as desk_services
from portal.desk.forms import (
    AvailabilityForm,
    BulkForm,
    EditForm,
    FilterForm,
    ReplyForm,
    SaveViewForm,
    TakeForm,
    status_choices,
)
from portal.forms import ButtonForm
from portal.views import actor, requires
from service_catalog import queries as catalog_queries
from service_catalog.municipalities import list_municipalities
from servicedesk import lifecycle, queries, services
from servicedesk.queues import list_queues
from servicedesk.triage import store as triage_store

bp = Blueprint("portal_agent", __name__)
log = logging.getLogger(__name__)
nav.register("portal_agent.desk_home", lazy_gettext("Arbeidsflate"), roles={Role.AGENT}, order=20)
PAGE_SIZE = 50


def _db() -> Any:
    return db_session()


def _suggestions(session: Any, ticket: Any) -> dict[str, Any]:
    """The current triage model's top suggestions for the ticket (none without a model;
    a model that fails to load leaves the page working, as /readyz reports)."""
    try:
        return triage_store.suggest(session, ticket.title, ticket.description)
    except Exception:  # the page must not depend on the model
        log.warning("triage suggestions failed for ticket %s", ticket.id, exc_info=True)
        return {"model_version": None, "queue": [], "category": [], "service_code": []}


def _problem(exc: DomainError) -> dict[str, Any]:
    """The error's texts in the page's language."""
    return exc.to_problem(_)


def _form_errors(form: Any, exc: DomainError) -> None:
    """A refusal shown at the field it names (in the summary otherwise), translated."""
    problem = _problem(exc)
    placed = False
    for name, messages in (problem.get("errors") or {}).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(problem["detail"])


# -- choices ------------------------------------------------------------------------


def _queue_choices(first: str | None = None) -> list[SelectChoice]:
    rows = [SelectChoice(q.code, f"{q.name} ({q.code})") for q in list_queues(_db(), actor())]
    return ([SelectChoice("", first)] if first else []) + rows


def _agent_choices(first: list[SelectChoice]) -> list[SelectChoice]:
    return first + [SelectChoice(str(i), name) for i, name in desk.list_agents(_db())]


def _service_choices(first: str) -> list[SelectChoice]:
    page = catalog_queries.list_services(_db(), status="active", limit=200)
    return [SelectChoice("", first)] + [SelectChoice(s.code, s.name) for s in page.items]


def _filter_form(args: MultiDict) -> FilterForm:
    form = FilterForm(formdata=args)
    form.status.choices = [
        SelectChoice("", _("Åpne saker")),
        SelectChoice("all", _("Alle")),
        *status_choices(),
    ]
    form.queue.choices = _queue_choices(_("Alle"))
    form.municipality.choices = [SelectChoice("", _("Alle"))] + [
        SelectChoice(m.number, f"{m.name} ({m.number})")
        for m in list_municipalities(_db(), actor())
    ]
    form.service_code.choices = _service_choices(_("Alle"))
    form.assignee.choices = _agent_choices(
        [
            SelectChoice("", _("Alle")),
            SelectChoice("me", _("Meg")),
            SelectChoice("none", _("Ingen (ufordelt)")),
        ]
    )
    return form


def _bulk_form(posted: bool = False) -> BulkForm:
    form = BulkForm() if posted else BulkForm(formdata=None)
    form.assignee.choices = _agent_choices(
        [SelectChoice("me", _("Meg")), SelectChoice("none", _("Ingen (ufordelt)"))]
    )
    form.queue.choices = _queue_choices(_("Velg"))
    form.status.choices = [SelectChoice("", _("Velg")), *status_choices()]
    return form


# -- the desk -----------------------------------------------------------------------


def _current_view(args: MultiDict, views: list[desk.DeskView]) -> desk.DeskView:
    """The view asked for: filters in the query make an unsaved one (``filter``)."""
    if any(args.get(name) for name in desk.FILTER_NAMES):
        filters = desk.parse_filters(args)
        return desk.DeskView("filter", "filter", filters=filters)
    return desk.find_view(views, args.get("view"))


def _view_args(view: desk.DeskView) -> dict[str, str]:
    if view.kind == "filter":
        assert view.filters is not None
        return dict(parse_qsl(view.filters.query()))
    return {"view": view.key}


def _table_context(view: desk.DeskView, cursor: str | None) -> dict[str, Any]:
    """What the table of a view shows (the page and its htmx fragment alike)."""
    session, me, now = _db(), actor(), utcnow()
    page = desk.list_view(session, me, view, now, limit=PAGE_SIZE, cursor=cursor)
    rows = queries.present(session, page.items, now)
    calendars = {r.id: r.sla_calendar for r in page.items}
    args: dict[str, Any] = _view_args(view)
    return {
        "view": view,
        "rows": rows,
        "badges": desk.badges(session, rows, calendars, now),
        "names": desk.names_of(session, [r.assignee_id for r in rows]),
        "seen": desk.last_history_ids(session, [r.id for r in rows]),
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
    session, me = _db(), actor()
    views = desk.desk_views(session, me)
    filter_form = _filter_form(args)
    try:
        view = _current_view(args, views)
    except ValidationFailed as exc:
        _form_errors(filter_form, exc)
        view, status = desk.find_view(views, "mine"), 422
    counted = [*views, view] if view.kind == "filter" else views
    counts = desk.count_views(session, me, counted, utcnow())
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
        available=desk.is_available(session, me),
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
    views = desk.desk_views(_db(), actor())
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
            with _db().begin_nested():
                saved = desk_services.save_view(
                    _db(), actor(), name=form.name.data, query=query, shared=form.shared.data
                )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            return redirect(url_for("portal_agent.desk_home", view=f"saved:{saved.id}"), 303)
    return _desk_page(MultiDict(parse_qsl(query)), save=form, status=422)


@bp.post("/desk/views/<int:view_id>/delete")
@requires(Role.AGENT)
def delete_view(view_id: int) -> Any:
    """Delete a saved view (its owner)."""
    if not ButtonForm().validate_on_submit():
        return _desk_page(MultiDict(), status=400)
    session = _db()
    desk_services.delete_view(session, actor(), desk.get_saved_view(session, actor(), view_id))
    return redirect(url_for("portal_agent.desk_home"), 303)


@bp.post("/desk/availability")
@requires(Role.AGENT)
def availability() -> Any:
    """The agent marks themselves available or not for auto-assignment."""
    form = AvailabilityForm()
    if form.validate_on_submit():
        auth_services.set_availability(_db(), actor(), form.available.data == "1")
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
            _db(), actor(), ids, form.action.data, value, form.body.data or ""
        )
    except ValidationFailed as exc:
        _form_errors(form, exc)
        return _desk_page(back, bulk=form, status=422)
    return render_template(
        "agent/bulk_done.html",
        done=[o for o in outcomes if o.done],
        refused=[(o, _problem(o.error)["detail"]) for o in outcomes if o.error is not None],
        back=urlencode(back),
    )


# -- one ticket ---------------------------------------------------------------------


def _edit_form(ticket: Any, formdata: MultiDict | None) -> EditForm:
    form = EditForm(formdata=formdata)
    names = dict((c.value, c.label) for c in status_choices())
    allowed = lifecycle.allowed_transitions(
        ticket.status, resolved_at=ticket.resolved_at, now=utcnow()
    )
    form.status.choices = [SelectChoice(ticket.status, names.get(ticket.status, ticket.status))] + [
        SelectChoice(s.value, names[s.value]) for s in allowed
    ]
    form.queue.choices = _queue_choices()
    form.assignee.choices = _agent_choices([SelectChoice("", _("Ingen (ufordelt)"))])
    form.service_code.choices = _service_choices(_("Ingen bestemt"))
    if formdata is None:
        form.status.data = ticket.status
        form.impact.data = str(ticket.impact)
        form.urgency.data = str(ticket.urgency)
        form.queue.data = ticket.queue_code
        form.assignee.data = str(ticket.assignee_id or "")
        form.service_code.data = ticket.service_code or ""
    return form


def _ticket_page(
    ticket_id: int,
    *,
    reply: ReplyForm | None = None,
    edit: EditForm | None = None,
    stale: list[Any] | None = None,
    status: int = 200,
) -> Any:
    session, me, now = _db(), actor(), utcnow()
    ticket = queries.get_ticket(session, me, ticket_id)
    assert ticket.id is not None  # a stored ticket
    view = queries.present(session, [ticket], now)[0]
    badge = desk.badges(session, [view], {ticket.id: desk.calendar_of(session, ticket.id)}, now)
    entries = desk.timeline(session, me, ticket)
    seen = desk.last_history_id(session, ticket.id)
    reply = reply or ReplyForm(formdata=None)
    edit = edit or _edit_form(ticket, None)
    take = TakeForm(formdata=None)
    # The forms carry what the page shows now: after a refused stale edit, sending the
    # kept text again applies it over what the page now says changed.
    for form in (reply, edit, take):
        form.version.data = ticket.version
        form.seen.data = seen
    colleagues = desk.colleagues_on(session, me, ticket.id, now)
    names = desk.names_of(
        session,
        [ticket.assignee_id, ticket.requester_id, *(e.actor_id for e in entries)]
        + [h.actor_id for h in stale or []],
    )
    desk_services.note_view(session, me, ticket.id, now)
    return render_template(
        "agent/ticket.html",
        suggestions=_suggestions(session, ticket),
        ticket=view,
        badge=badge[ticket.id],
        entries=entries,
        names=names,
        reply_form=reply,
        edit_form=edit,
        take_form=take,
        stale=stale,
        colleagues=colleagues,
        origin=_origin(desk.origin_of(session, ticket)),
    ), status


def _origin(found: dict[str, int] | None) -> dict[str, Any] | None:
    """The order or outage a ticket came from, linked when the portal has a page for it."""
    if not found:
        return None
    kind, number = next(iter(found.items()))
    text = (
        _("Bestilling nr. %(id)s", id=number)
        if kind == "order"
        else _("Driftsavbrudd nr. %(id)s", id=number)
    )
    path = f"/{kind}s/{number}"
    try:
        current_app.url_map.bind("").match(path, method="GET")
    except HTTPException:
        return {"text": text, "href": None}
    return {"text": text, "href": path}


@bp.get("/desk/tickets/<int:ticket_id>")
@requires(Role.AGENT)
def ticket(ticket_id: int) -> Any:
    """A ticket's whole story (public and internal), and the forms to work it."""
    return _ticket_page(ticket_id)


def _meanwhile(ticket: Any, form: Any, *, others_only: bool = False) -> list[Any] | None:
    """What changed since the form's page was shown, when that makes the form stale:
    the ticket's version moved on (as the API's ETag would), or, for a reply, a
    colleague wrote something meanwhile. None: not stale."""
    me = actor()
    since = desk.changes_since(_db(), me, ticket, form.seen.data or 0)
    if form.version.data != ticket.version:
        return since
    if others_only:
        by_others = [h for h in since if h.actor_id != me.user_id]
        return by_others or None
    return None


@bp.post("/desk/tickets/<int:ticket_id>/reply")
@requires(Role.AGENT)
def reply(ticket_id: int) -> Any:
    """A public reply to the requester or an internal note."""
    form = ReplyForm()
    if not form.validate_on_submit():
        return _ticket_page(ticket_id, reply=form, status=422)
    session = _db()
    found = queries.get_ticket(session, actor(), ticket_id, for_update=True)
    stale = _meanwhile(found, form, others_only=True)
    if stale is not None:
        return _ticket_page(ticket_id, reply=form, stale=stale, status=409)
    try:
        with session.begin_nested():
            services.add_comment(session, actor(), found, form.body.data, form.internal.data == "1")
    except DomainError as exc:
        _form_errors(form, exc)
        return _ticket_page(ticket_id, reply=form, status=exc.status)
    return redirect(url_for("portal_agent.ticket", ticket_id=ticket_id) + "#timeline", 303)


@bp.post("/desk/tickets/<int:ticket_id>/edit")
@requires(Role.AGENT)
def edit(ticket_id: int) -> Any:
    """Change status, priority (impact and urgency), queue, assignee or service."""
    session = _db()
    found = queries.get_ticket(session, actor(), ticket_id, for_update=True)
    form = _edit_form(found, request.form)
    if not form.validate_on_submit():
        return _ticket_page(ticket_id, edit=form, status=422)
    stale = _meanwhile(found, form)
    if stale is not None:
        return _ticket_page(ticket_id, edit=form, stale=stale, status=409)
    wanted = {
        "status": form.status.data,
        "impact": int(form.impact.data),
        "urgency": int(form.urgency.data),
        "queue": form.queue.data,
        "assignee": int(form.assignee.data) if form.assignee.data else None,
        "service_code": form.service_code.data or None,
    }
    current = {
        "status": found.status,
        "impact": found.impact,
        "urgency": found.urgency,
        "queue": found.queue_code,
        "assignee": found.assignee_id,
        "service_code": found.service_code,
    }
    changes = {k: v for k, v in wanted.items() if v != current[k]}
    if (form.resolution.data or "").strip():
        changes["resolution"] = form.resolution.data
    if changes:
        try:
            with session.begin_nested():
                services.update_ticket(session, actor(), found, changes)
        except DomainError as exc:
            _form_errors(form, exc)
            return _ticket_page(ticket_id, edit=form, status=exc.status)
    return redirect(url_for("portal_agent.ticket", ticket_id=ticket_id), 303)


@bp.post("/desk/tickets/<int:ticket_id>/take")
@requires(Role.AGENT)
def take(ticket_id: int) -> Any:
    """«Ta saken»: assign the ticket to me."""
    form = TakeForm()
    if not form.validate_on_submit():
        return _ticket_page(ticket_id, status=400)
    session = _db()
    found = queries.get_ticket(session, actor(), ticket_id, for_update=True)
    stale = _meanwhile(found, form)
    if stale is not None:
        return _ticket_page(ticket_id, stale=stale, status=409)
    if found.assignee_id != actor().user_id:
        with session.begin_nested():
            services.update_ticket(session, actor(), found, {"assignee": actor().user_id})
    back = request.form.get("next", "")
    if back.startswith("/desk") and not back.startswith("//"):
        return redirect(back, 303)
    return redirect(url_for("portal_agent.ticket", ticket_id=ticket_id), 303)
