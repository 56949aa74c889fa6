"""API schemas of the notification outbox, derived from the model."""

from __future__ import annotations

from marshmallow import validate

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import AutoSchema, ListArgs, page_schema
from notifications.models import Notification
from notifications.services import STATUSES
from notifications.texts import EVENTS


class NotificationSchema(AutoSchema):
    """An outbox row; ``subject``/``body`` as sent, or as they would be sent now."""

    class Meta(AutoSchema.Meta):
        model = Notification
        exclude = ("claimed_at",)

    context = fields.Dict(keys=fields.String())


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPage")


class NotificationListArgs(ListArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    event = fields.String(load_default=None, validate=validate.OneOf(sorted(EVENTS)))
    ticket_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    recipient = fields.String(load_default=None, validate=validate.Length(max=254))
