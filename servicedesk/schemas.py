"""API schemas of the servicedesk, derived from the models where the model has the field."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate
from marshmallow_sqlalchemy import auto_field

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import AutoSchema, AwareDateTime, ListArgs, page_schema
from servicedesk.choices import TicketStatus, TicketType
from servicedesk.models import Queue, RoutingRule, Ticket, TicketComment, TicketHistory
from servicedesk.routing import MATCH_KEYS
from servicedesk.triage.schemas import SuggestionSchema

MUNICIPALITY_NUMBER = validate.Regexp(r"^\d{4}$", error="A 4-digit municipality number.")
QUEUE_CODE = validate.Regexp(
    r"^[A-Z0-9][A-Z0-9_-]{0,39}$", error="Upper-case letters, digits, - and _; at most 40."
)
LEVEL = validate.Range(min=1, max=3, error="Must be 1 (high), 2 or 3 (low).")
TYPES = validate.OneOf([t.value for t in TicketType])
STATUSES = validate.OneOf([s.value for s in TicketStatus])


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("Must not be blank.")


def Text(max_length: int, **kw: Any) -> fields.String:
    """A string of 1 … ``max_length`` characters that is not only whitespace."""
    return fields.String(validate=[validate.Length(min=1, max=max_length), _not_blank], **kw)


def Level(**kw: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=LEVEL, **kw)


USER_ID = validate.Range(min=1, max=2**31 - 1)


def UserId(**kw: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=USER_ID, **kw)


class SlaSchema(ma.Schema):
    """The ticket's SLA state at the time of the response."""

    response_due = AwareDateTime(allow_none=True)
    resolution_due = AwareDateTime(allow_none=True)
    responded_at = AwareDateTime(allow_none=True)
    resolved_at = AwareDateTime(allow_none=True)
    response_breached = fields.Boolean()
    resolution_breached = fields.Boolean()
    paused = fields.Boolean()


class TicketSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = Ticket
        # The SLA facts (responded_at, resolved_at) are shown inside ``sla``.
        exclude = (
            "municipality_number",
            "requester_id",
            "queue_code",
            "assignee_id",
            "responded_at",
            "resolved_at",
        )
        dump_only = (
            "id", "number", "priority", "status", "created_at", "updated_at", "version", "source",
        )  # fmt: skip

    municipality = auto_field("municipality_number", dump_only=True)
    requester = auto_field("requester_id", dump_only=True)
    queue = auto_field("queue_code", dump_only=True)
    assignee = auto_field("assignee_id", dump_only=True)
    sla = fields.Nested(SlaSchema, dump_only=True)
    # IT roles, one ticket (GET /tickets/{id}, PATCH): the triage model's suggestions.
    suggestions = fields.Nested(SuggestionSchema, dump_only=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """Tickets are dumped from plain views (``queries.present``, the new ticket's
        values): read the attribute, without marshmallow's dotted-path and mapping
        probes, which cost a page of 50 tickets more than its JSON encoding."""
        return getattr(obj, attr, default)


class TicketFieldsSchema(AutoSchema):
    """What a caller may write of a ticket, each field once, derived from the model.

    The variants below (filing, change, routing dry run) pick their fields and
    say which are required and what a missing one becomes.
    """

    class Meta(AutoSchema.Meta):
        model = Ticket
        fields: tuple[str, ...] = ()

    title = auto_field(validate=[validate.Length(min=1), _not_blank])
    description = auto_field(validate=[validate.Length(min=1, max=20_000), _not_blank])
    type = auto_field(validate=TYPES)
    service_code = auto_field()
    category = auto_field()
    impact = auto_field(strict=True, validate=LEVEL)
    urgency = auto_field(strict=True, validate=LEVEL)
    status = auto_field(validate=STATUSES)
    # The resolution note, required with status "resolved".
    resolution = auto_field(
        allow_none=False, validate=[validate.Length(min=1, max=5_000), _not_blank]
    )
    # IT roles only (a municipal caller naming these is refused). The loaded
    # dict keeps the API's names: the services take ``municipality``, not the column's.
    municipality = auto_field(
        "municipality_number", attribute="municipality", validate=MUNICIPALITY_NUMBER
    )
    # null: the default queue (filing), or back to routing (change).
    queue = auto_field("queue_code", attribute="queue", allow_none=True)
    assignee = auto_field("assignee_id", attribute="assignee", strict=True, validate=USER_ID)


class TicketCreateSchema(TicketFieldsSchema):
    """A new ticket (POST /tickets)."""

    class Meta(TicketFieldsSchema.Meta):
        fields = (
            "title", "description", "type", "service_code", "category", "impact", "urgency",
            "municipality", "queue", "assignee",
        )  # fmt: skip
        required = ("title", "description", "type", "impact", "urgency")
        load_defaults = {
            "service_code": None, "category": None, "municipality": None, "queue": None,
            "assignee": None,
        }  # fmt: skip


class TicketPatchSchema(TicketFieldsSchema):
    """A change to a ticket (PATCH /tickets/{id}): any of these fields, nothing defaults."""

    class Meta(TicketFieldsSchema.Meta):
        fields = (
            "status", "impact", "urgency", "queue", "assignee", "service_code", "category",
            "resolution",
        )  # fmt: skip
        required = ()


class TicketListArgs(ListArgs):
    status = fields.String(validate=STATUSES)
    queue = fields.String(validate=validate.Length(max=40))
    municipality = fields.String(validate=MUNICIPALITY_NUMBER)
    priority = fields.Integer(validate=validate.Range(min=1, max=4))
    assignee = fields.String(
        validate=validate.Regexp(r"^(\d{1,9}|me|none)$", error="A user id, 'me' or 'none'.")
    )
    type = fields.String(validate=TYPES)
    q = fields.String(validate=validate.Length(max=200))
    created_from = AwareDateTime()
    created_to = AwareDateTime()


TicketPageSchema = page_schema(TicketSchema, "TicketPage")


class CommentSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = TicketComment
        exclude = ("author_id",)
        dump_only = ("id", "ticket_id", "created_at")
        load_defaults = {"internal": False}

    author = auto_field("author_id", dump_only=True)
    body = auto_field(validate=[validate.Length(min=1, max=20_000), _not_blank])


CommentPageSchema = page_schema(CommentSchema, "CommentPage")


class HistorySchema(AutoSchema):
    """``{at, actor, field, old, new}``; actor is a user id, or null for the system."""

    class Meta(AutoSchema.Meta):
        model = TicketHistory
        fields = ("at", "actor", "field", "old", "new")

    actor = auto_field("actor_id")
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


HistoryPageSchema = page_schema(HistorySchema, "HistoryPage")


class QueueSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = Queue
        exclude = ("is_default", "created_at")
        dump_only = ("updated_at",)
        load_defaults = {"auto_assign": False}

    code = auto_field(validate=QUEUE_CODE)
    name = auto_field(validate=[validate.Length(min=1), _not_blank])
    agents = fields.List(UserId(), load_default=list)
    # Exactly one queue is the default (where unrouted tickets go).
    default = fields.Boolean(attribute="is_default", load_default=False)


class QueuePatchSchema(QueueSchema):
    """Any of the queue's fields (used with partial=True, so nothing defaults)."""

    class Meta(QueueSchema.Meta):
        pass


QueuePageSchema = page_schema(QueueSchema, "QueuePage")


class MatchSchema(ma.Schema):
    """Criteria a ticket must all meet (keywords: any one, as a whole word)."""

    service_code = fields.String(allow_none=True, validate=validate.Length(min=1, max=40))
    category = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    municipality = fields.String(allow_none=True, validate=MUNICIPALITY_NUMBER)
    type = fields.String(allow_none=True, validate=TYPES)
    priority = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=4))
    keywords = fields.List(Text(100), allow_none=True, validate=validate.Length(max=50))


assert set(MatchSchema._declared_fields) == set(MATCH_KEYS)


class RoutingRuleSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = RoutingRule
        exclude = ("queue_code", "created_at")
        dump_only = ("id", "updated_at")
        load_defaults = {"name": ""}

    position = auto_field(strict=True)
    match = fields.Nested(MatchSchema, load_default=dict)
    queue = auto_field("queue_code")


class RoutingRulePatchSchema(RoutingRuleSchema):
    """Any of the rule's fields (used with partial=True, so nothing defaults)."""

    class Meta(RoutingRuleSchema.Meta):
        pass


RoutingRulePageSchema = page_schema(RoutingRuleSchema, "RoutingRulePage")


class RoutingTestSchema(TicketFieldsSchema):
    """A draft ticket, as POST /tickets would take it (municipality required)."""

    class Meta(TicketFieldsSchema.Meta):
        fields = (
            "title", "description", "type", "service_code", "category", "impact", "urgency",
            "municipality",
        )  # fmt: skip
        required = ("title", "type", "municipality")
        load_defaults = {
            "description": "", "service_code": None, "category": None, "impact": 3, "urgency": 3,
        }  # fmt: skip

    @ma.pre_load
    def _blank_description_is_none(self, data: Any, **_kw: Any) -> Any:
        """A draft may leave the description empty (a filed ticket may not)."""
        text = data.get("description") if isinstance(data, dict) else None
        if isinstance(text, str) and not text.strip():
            return {k: v for k, v in data.items() if k != "description"}
        return data


class RoutingRuleRefSchema(ma.Schema):
    id = fields.Integer()
    position = fields.Integer()
    name = fields.String()


class RoutingDecisionSchema(ma.Schema):
    """Where the draft would go: the queue, and the rule that chose it (null: the default)."""

    queue = fields.String()
    rule = fields.Nested(RoutingRuleRefSchema, allow_none=True)
    priority = fields.Integer()
