"""One ticket on the agent's desk at ``/desk/tickets/<id>``: its whole story (public and
internal), the triage suggestions, and the forms to reply, edit and take it."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from wtforms.fields.choices import SelectChoice

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.core.types import utcnow
from kommune_ikt.web.edge import db_session
from portal.agent.blueprint import bp
from portal.agent.choices import agent_choices, queue_choices, service_choices
from portal.desk import services as desk_services
from portal.desk.badges import badges, calendar_of
from portal.desk.forms import EditForm, ReplyForm, TakeForm, status_choices
from portal.desk.people import colleagues_on, names_of
from portal.desk.timeline import changes_since, last_history_id, origin_of, timeline
from portal.refusals import place_errors
from portal.views import actor, requires
from servicedesk import lifecycle, queries, services
from servicedesk.triage import store as triage_store

log = logging.getLogger(__name__)


def _suggestions(session: Any, ticket: Any) -> dict[str, Any]:
    """The current triage model's top suggestions for the ticket (none without a model;
    a model that fails to load leaves the page working, as /readyz reports)."""
    try:
        return triage_store.suggest(session, ticket.title, ticket.description)
    except Exception:  # the page must not depend on the model
        log.warning("triage suggestions failed for ticket %s", ticket.id, exc_info=True)
        return {"model_version": None, "queue": [], "category": [], "service_code": []}


def _edit_form(ticket: Any, formdata: MultiDict | None) -> EditForm:
    form = EditForm(formdata=formdata)
    names = dict((c.value, c.label) for c in status_choices())
    allowed = lifecycle.allowed_transitions(
        ticket.status, resolved_at=ticket.resolved_at, now=utcnow()
    )
    form.status.choices = [SelectChoice(ticket.status, names.get(ticket.status, ticket.status))] + [
        SelectChoice(s.value, names[s.value]) for s in allowed
    ]
    form.queue.choices = queue_choices()
    form.assignee.choices = agent_choices([SelectChoice("", _("Ingen (ufordelt)"))])
    form.service_code.choices = service_choices(_("Ingen bestemt"))
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
    session, me, now = db_session(), actor(), utcnow()
    ticket = queries.get_ticket(session, me, ticket_id)
    assert ticket.id is not None  # a stored ticket
    view = queries.present(session, [ticket], now)[0]
    badge = badges(session, [view], {ticket.id: calendar_of(session, ticket.id)}, now)
    entries = timeline(session, me, ticket)
    seen = last_history_id(session, ticket.id)
    reply = reply or ReplyForm(formdata=None)
    edit = edit or _edit_form(ticket, None)
    take = TakeForm(formdata=None)
    # The forms carry what the page shows now: after a refused stale edit, sending the
    # kept text again applies it over what the page now says changed.
    for form in (reply, edit, take):
        form.version.data = ticket.version
        form.seen.data = seen
    colleagues = colleagues_on(session, me, ticket.id, now)
    names = names_of(
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
        origin=_origin(origin_of(session, ticket)),
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
    since = changes_since(db_session(), me, ticket, form.seen.data or 0)
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
    session = db_session()
    found = queries.get_ticket(session, actor(), ticket_id, for_update=True)
    stale = _meanwhile(found, form, others_only=True)
    if stale is not None:
        return _ticket_page(ticket_id, reply=form, stale=stale, status=409)
    try:
        with session.begin_nested():
            services.add_comment(session, actor(), found, form.body.data, form.internal.data == "1")
    except DomainError as exc:
        place_errors(form, exc)
        return _ticket_page(ticket_id, reply=form, status=exc.status)
    return redirect(url_for("portal_agent.ticket", ticket_id=ticket_id) + "#timeline", 303)


@bp.post("/desk/tickets/<int:ticket_id>/edit")
@requires(Role.AGENT)
def edit(ticket_id: int) -> Any:
    """Change status, priority (impact and urgency), queue, assignee or service."""
    session = db_session()
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
            place_errors(form, exc)
            return _ticket_page(ticket_id, edit=form, status=exc.status)
    return redirect(url_for("portal_agent.ticket", ticket_id=ticket_id), 303)


@bp.post("/desk/tickets/<int:ticket_id>/take")
@requires(Role.AGENT)
def take(ticket_id: int) -> Any:
    """«Ta saken»: assign the ticket to me."""
    form = TakeForm()
    if not form.validate_on_submit():
        return _ticket_page(ticket_id, status=400)
    session = db_session()
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
