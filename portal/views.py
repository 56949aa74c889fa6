"""The pages of signed-in users: thin views over the same service functions as the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.db import saved_id
from kommune_ikt.core.errors import DomainError, NotFound
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import utcnow
from kommune_ikt.web.edge import db_session
from metrics import queries as metric_queries
from portal import attachments, nav
from portal.forms import ButtonForm, CommentForm, TicketForm
from portal.refusals import place_errors
from service_catalog import queries as catalog_queries
from servicedesk import filing, queries, services
from servicedesk.attachments import services as attachment_services
from servicedesk.attachments.api import content_response
from servicedesk.choices import TicketStatus
from servicedesk.triage.store import auto_router

bp = Blueprint(
    "portal",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/portal",
)
F = TypeVar("F", bound=Callable[..., Any])
nav.register("portal.home", _l("Forside"), order=0)
nav.register("portal.tickets", _l("Mine saker"), order=10)
nav.register("portal.new_ticket", _l("Meld sak"), order=11)
OPEN = {TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.PENDING}


def actor() -> Actor:
    found: Actor | None = g.get("web_actor")
    if found is None:
        abort(401)
    return found


def signed_in(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("web_actor") is None:
            return redirect(url_for("portal_auth.sign_in_page"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def requires(*roles: Role) -> Callable[[F], F]:
    """Signed in (else to the sign-in page) with one of ``roles`` (admin always; else the
    403 page). Use on every page that is not for every signed-in user."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            me = g.get("web_actor")
            if me is None:
                return redirect(url_for("portal_auth.sign_in_page"))
            if me.role not in roles and me.role != Role.ADMIN:
                return forbidden()
            return view(*args, **kwargs)

        wrapper.allowed_roles = frozenset(roles) | {Role.ADMIN}  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def forbidden() -> Any:
    return render_template(
        "error.html",
        title=_("Ingen tilgang"),
        detail=_("Rollen din gir ikke tilgang til denne siden."),
        status=403,
    ), 403


bp.add_app_template_filter(attachments.filesize, "filesize")


@bp.app_template_global("municipality")
def municipality(number: str | None) -> str:
    """``1505 Kristiansund``: a municipality as pages show it (its number alone if unknown)."""
    if not number:
        return ""
    names = g.get("municipality_names")
    if names is None:  # once per page, however many rows name one
        names = g.municipality_names = catalog_queries.municipality_names(db_session())
    name = names.get(number)
    return f"{number} {name}" if name else number


@bp.app_context_processor
def _context() -> dict[str, Any]:
    me = g.get("web_actor")
    return {
        "me": me,
        "sign_out_form": ButtonForm(),
        "Role": Role,
        "nav_items": nav.for_actor(me),
    }


@bp.get("/")
def home() -> Any:
    me = g.get("web_actor")
    if me is None:
        return redirect(url_for("portal_auth.sign_in_page"))
    session = db_session()
    # The user's own open tickets (an orderer sees the municipality's on "Mine saker").
    page = queries.list_tickets(
        session, me, requester_id=me.user_id, statuses=[s.value for s in OPEN], limit=20
    )
    mine = queries.present(session, page.items)
    approvals = []
    if me.has(Role.ORDERER):
        approvals = catalog_queries.list_orders(
            session, me, status="pending_approval", limit=20
        ).items
    now = utcnow()
    # Ongoing outages, and planned work not yet over (also what starts later).
    outages = metric_queries.list_outages(session, me, limit=20, cursor=None, current_at=now).items
    return render_template(
        "home.html",
        tickets=mine,
        approvals=approvals,
        outages=[o for o in outages if o.started_at <= now],
        planned_work=sorted((o for o in outages if o.started_at > now), key=lambda o: o.started_at),
    )


@bp.get("/tickets")
@signed_in
def tickets() -> Any:
    session = db_session()
    page = queries.list_tickets(session, actor(), limit=50, cursor=request.args.get("cursor"))
    return render_template(
        "tickets/list.html",
        tickets=queries.present(session, page.items),
        next_cursor=page.next_cursor,
    )


def _service_choices() -> list[SelectChoice]:
    page = catalog_queries.list_services(db_session(), status="active", limit=200)
    return [SelectChoice("", _("Vet ikke / ingen bestemt"))] + [
        SelectChoice(s.code, s.name) for s in page.items
    ]


@bp.route("/tickets/new", methods=["GET", "POST"])
@signed_in
def new_ticket() -> Any:
    form, parsed = attachments.form_with_files(TicketForm)
    form.service_code.choices = _service_choices()
    status = None
    if parsed and form.validate_on_submit():
        new = filing.NewTicket(
            title=form.title.data,
            description=form.description.data,
            type=form.type.data,
            service_code=form.service_code.data or None,
            impact=int(form.impact.data),
            urgency=int(form.urgency.data),
            source="web",
        )
        session = db_session()
        try:
            uploads = []
            if attachments.chosen(form.file.data):
                # As the API does: no transaction stays open across the virus scan.
                session.commit()
                uploads = attachments.prepare(form.file.data)
            filed = filing.file_ticket(
                session, actor(), new, auto_route=auto_router(current_app.config["SETTINGS"])
            )
            ticket_id = saved_id(filed.ticket)
            attachments.attach(session, actor(), ticket_id, uploads)
        except DomainError as exc:
            place_errors(form, exc)
            status = exc.status if isinstance(exc, attachments.FileRefused) else None
        else:
            return redirect(url_for("portal.ticket", ticket_id=ticket_id), 303)
    if not parsed:
        status = 413
    status = status or (422 if form.errors or form.form_errors else 200)
    return render_template("tickets/new.html", form=form), status


@bp.get("/tickets/<int:ticket_id>")
@signed_in
def ticket(ticket_id: int) -> Any:
    return _ticket_page(ticket_id, CommentForm(formdata=None))


def _ticket_page(ticket_id: int, comment_form: CommentForm, status: int = 200) -> Any:
    session = db_session()
    me = actor()
    found = queries.get_ticket(session, me, ticket_id)
    comments = queries.list_comments(session, me, found, limit=200).items
    files, files_by_comment = attachments.for_ticket(session, me, ticket_id)
    if not comment_form.file.description:
        comment_form.file.description = attachments.hint()
    return render_template(
        "tickets/show.html",
        ticket=queries.present_one(session, found),
        comments=comments,
        attachments=files,
        attachments_by_comment=files_by_comment,
        scanning=attachments.scanning(),
        comment_form=comment_form,
        button=ButtonForm(),
        can_cancel=found.status in OPEN and found.requester_id == me.user_id,
        can_reopen=found.status == TicketStatus.RESOLVED and found.requester_id == me.user_id,
    ), status


@bp.post("/tickets/<int:ticket_id>/comments")
@signed_in
def comment(ticket_id: int) -> Any:
    form, parsed = attachments.form_with_files(CommentForm)
    if not parsed:
        return _ticket_page(ticket_id, form, 413)
    if form.validate_on_submit():
        session = db_session()
        try:
            uploads = []
            if attachments.chosen(form.file.data):
                # Refused before the scan if it would be refused anyway (404, 409), and
                # no transaction stays open across the scan.
                attachment_services.check_may_attach(session, actor(), ticket_id)
                session.commit()
                uploads = attachments.prepare(form.file.data)
            found = queries.get_ticket(session, actor(), ticket_id, for_update=True)
            said = services.add_comment(session, actor(), found, form.body.data, False)
            attachments.attach(session, actor(), ticket_id, uploads, comment_id=said.id)
        except attachments.FileRefused as exc:
            session.rollback()
            place_errors(form, exc)
            return _ticket_page(ticket_id, form, exc.status)
        return redirect(url_for("portal.ticket", ticket_id=ticket_id) + "#comments", 303)
    return _ticket_page(ticket_id, form, 422)


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@signed_in
def attachment(ticket_id: int, attachment_id: int) -> Any:
    """An attachment's bytes, for whoever may see it (else the 404 page)."""
    found, stream = attachment_services.open_attachment(
        db_session(), actor(), attachment_id, settings=current_app.config["SETTINGS"]
    )
    if found.ticket_id != ticket_id:
        stream.close()
        raise NotFound(N_("Attachment not found."))
    return content_response(found, stream)


@bp.post("/tickets/<int:ticket_id>/<any(cancel, reopen):action>")
@signed_in
def change_status(ticket_id: int, action: str) -> Any:
    if not ButtonForm().validate_on_submit():
        abort(400)
    session = db_session()
    found = queries.get_ticket(session, actor(), ticket_id, for_update=True)
    target = TicketStatus.CANCELLED if action == "cancel" else TicketStatus.IN_PROGRESS
    services.update_ticket(session, actor(), found, {"status": target.value})
    return redirect(url_for("portal.ticket", ticket_id=ticket_id), 303)
