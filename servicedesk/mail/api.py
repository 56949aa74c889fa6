"""Mail quarantine HTTP API: what the intake did not take, and an agent's decision on it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.db import table_of
from kommune_ikt.web.edge import current_actor, db_session, roles
from servicedesk.mail import services
from servicedesk.mail.job import default_sink
from servicedesk.mail.models import MailMessage
from servicedesk.mail.schemas import (
    AcceptSchema,
    QuarantinedMailSchema,
    QuarantineListArgs,
    QuarantinePageSchema,
)

blp = Blueprint("mail", __name__, description="Received mail the intake quarantined")


COLUMNS = tuple(c.name for c in table_of(MailMessage).columns if c.name != "raw")


def _with_preview(record: MailMessage) -> SimpleNamespace:
    return SimpleNamespace(
        **{c: getattr(record, c) for c in COLUMNS},
        kept=record.raw is not None,
        preview=services.preview(record),
    )


@blp.route("/mail/quarantine")
class Quarantine(MethodView):
    @roles(Role.AGENT)
    @blp.arguments(QuarantineListArgs, location="query")
    @blp.response(200, QuarantinePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List quarantined mail with the reason, newest first (agents, admin)."""
        page = services.list_quarantine(db_session(), current_actor(), **args)
        return {"items": [_with_preview(r) for r in page.items], "next_cursor": page.next_cursor}


@blp.route("/mail/quarantine/<int:mail_id>/accept")
class Accept(MethodView):
    @roles(Role.AGENT)
    @blp.arguments(AcceptSchema)
    @blp.response(200, QuarantinedMailSchema)
    def post(self, data: dict[str, Any], mail_id: int) -> Any:
        """Make a ticket of the mail for a municipality (agents, admin)."""
        session, actor = db_session(), current_actor()
        mail = services.check_accept(session, actor, mail_id, data["municipality"])
        # End the transaction before the virus scanner's I/O; accept checks again.
        session.commit()
        files = services.prepare_files(mail, default_sink(current_app.config["SETTINGS"]))
        record = services.accept(session, actor, mail_id, data["municipality"], files=files)
        return _with_preview(record)


@blp.route("/mail/quarantine/<int:mail_id>/reject")
class Reject(MethodView):
    @roles(Role.AGENT)
    @blp.response(200, QuarantinedMailSchema)
    def post(self, mail_id: int) -> Any:
        """Drop the mail; its Message-ID stays recorded so it never comes back (agents, admin)."""
        return _with_preview(services.reject(db_session(), current_actor(), mail_id))


def blueprints() -> list[Blueprint]:
    return [blp]
