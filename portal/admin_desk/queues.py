"""Administration of the servicedesk's queues (admin): the queues with their agents, adding
one, and changing its name, auto-assignment, agents and whether it is the default."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from kommune_ikt.core.auth import services as users
from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.admin_desk.blueprint import bp
from portal.refusals import show_errors
from portal.views import actor, requires
from servicedesk import queues


class QueueForm(FlaskForm):
    code = StringField(
        _l("Kode"),
        validators=[
            DataRequired(_l("Skriv en kode.")),
            Regexp(r"^[A-Z0-9][A-Z0-9_-]{0,39}$", message=_l("Store bokstaver, sifre, - og _.")),
        ],
    )
    name = StringField(_l("Navn"), validators=[DataRequired(_l("Skriv et navn.")), Length(max=100)])
    auto_assign = BooleanField(
        _l("Fordel nye saker automatisk"),
        description=_l("Til den tilgjengelige saksbehandleren med færrest åpne saker."),
    )
    default = BooleanField(
        _l("Standardkø"), description=_l("Hit går saker som ingen regel passer for.")
    )
    agents = SelectMultipleField(_l("Saksbehandlere"), choices=[], coerce=int)


def _agent_choices(form: QueueForm) -> None:
    rows = users.list_users(db_session(), actor(), limit=200).items
    form.agents.choices = [
        SelectChoice(u.id, f"{u.name or u.email} ({u.email})")
        for u in rows
        if u.active and u.role in (Role.AGENT, Role.ADMIN)
    ]


def _queue_data(form: QueueForm) -> dict[str, Any]:
    return {
        "code": form.code.data,
        "name": form.name.data.strip(),
        "auto_assign": bool(form.auto_assign.data),
        "agents": list(form.agents.data or []),
        "is_default": bool(form.default.data),
    }


@bp.route("/queues", methods=["GET", "POST"])
@requires(Role.ADMIN)
def queue_list() -> Any:
    """The queues with their agents; add a queue."""
    form = QueueForm()
    _agent_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            queues.create_queue(db_session(), actor(), _queue_data(form))
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".queue_list"), 303)
    elif form.is_submitted():
        status = 422
    session = db_session()
    rows = queues.present_queues(session, queues.list_queues(session, actor()))
    names = {c.value: c.label for c in form.agents.choices}
    return render_template("admin/queues.html", rows=rows, form=form, names=names), status


@bp.route("/queues/<code>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def queue(code: str) -> Any:
    """Change a queue: name, auto-assignment, agents, default."""
    session = db_session()
    found = queues.present_queues(session, [queues.get_queue(session, actor(), code)])[0]
    form = QueueForm(
        data={
            "code": found.code,
            "name": found.name,
            "auto_assign": found.auto_assign,
            "default": found.is_default,
            "agents": found.agents,
        }
        if request.method == "GET"
        else None
    )
    _agent_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            locked = queues.get_queue(session, actor(), code, for_update=True)
            changes = _queue_data(form)
            if not changes["is_default"] and not locked.is_default:
                changes.pop("is_default")
            changed = queues.update_queue(session, actor(), locked, changes)
        except DomainError as exc:
            status = show_errors(form, exc)
        else:
            return redirect(url_for(".queue", code=changed.code), 303)
    elif form.is_submitted():
        status = 422
    return render_template("admin/queue.html", q=found, form=form), status
