"""Notification outbox HTTP API: what was sent, what waits, and retrying a failed one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.web.edge import current_actor, db_session, roles
from notifications import services
from notifications.models import Notification
from notifications.schemas import (
    NotificationListArgs,
    NotificationPageSchema,
    NotificationSchema,
)

blp = Blueprint("notifications", __name__, description="The e-mail notification outbox")


@dataclass
class NotificationView:
    notification: Notification
    subject: str
    body: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.notification, name)


def _present(items: list[Notification]) -> list[NotificationView]:
    settings = current_app.config["SETTINGS"]
    language = settings.notification_language or settings.default_language
    languages = services.recipient_languages(db_session(), [n.recipient for n in items])
    texts = services.rendered(items, language, languages)
    return [NotificationView(n, *texts[n.id]) for n in items]  # type: ignore[index]


@blp.route("/notifications")
class Notifications(MethodView):
    @roles(Role.AGENT)
    @blp.arguments(NotificationListArgs, location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List the outbox, newest first (agents, admin)."""
        page = services.list_notifications(db_session(), current_actor(), **args)
        return {"items": _present(page.items), "next_cursor": page.next_cursor}


@blp.route("/notifications/<int:notification_id>")
class NotificationItem(MethodView):
    @roles(Role.AGENT)
    @blp.response(200, NotificationSchema)
    def get(self, notification_id: int) -> Any:
        """Read one notification (agents, admin)."""
        item = services.get_notification(db_session(), current_actor(), notification_id)
        return _present([item])[0]


@blp.route("/notifications/<int:notification_id>/retry")
class NotificationRetry(MethodView):
    @roles(Role.ADMIN)
    @blp.response(200, NotificationSchema)
    def post(self, notification_id: int) -> Any:
        """Send a failed notification again (admin)."""
        item = services.retry_notification(db_session(), current_actor(), notification_id)
        return _present([item])[0]


def blueprints() -> list[Blueprint]:
    return [blp]
