"""API schemas of SLA calendars and policy sets, derived from the models."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from marshmallow_sqlalchemy import auto_field

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import AutoSchema, AwareDateTime, page_schema
from servicedesk.sla.models import SlaCalendar, SlaPolicy, SlaPolicyChange

# A target beyond a year of minutes is no target, and could not be reached
# within the clock's ten-year horizon in a sparse calendar.
POSITIVE_MINUTES = validate.Range(min=1, max=525_600, error="Must be 1 to 525600 minutes (a year).")
HOURS_EXAMPLE = {"mon": [["08:00", "11:30"], ["12:00", "15:30"]], "tue": [["08:00", "15:30"]]}


class CalendarSchema(AutoSchema):
    """A calendar; ``hours`` and dates are checked by the service (422 names the field)."""

    class Meta(AutoSchema.Meta):
        model = SlaCalendar
        dump_only = ("name", "builtin", "version", "updated_at")
        load_defaults = {
            "timezone": "Europe/Oslo",
            "holiday_country": None,
            "holiday_subdivision": None,
        }

    timezone = auto_field(validate=validate.Length(min=1))
    hours = fields.Raw(
        required=True,
        metadata={
            "description": "Open ranges per weekday (mon..sun); a missing day is closed. "
            '"24:00" may end a range.',
            "example": HOURS_EXAMPLE,
            "type": "object",
        },
    )
    holiday_country = auto_field(metadata={"example": "NO"})
    extra_closed_dates = fields.List(
        fields.Raw(), load_default=list, metadata={"example": ["2026-12-31"]}
    )
    special_hours = fields.Raw(
        load_default=dict,
        metadata={
            "description": "Dates with their own ranges instead of the weekday's "
            "(an empty list closes the date).",
            "example": {"2026-12-24": [["08:00", "12:00"]]},
            "type": "object",
        },
    )
    closures = fields.List(
        fields.Raw(),
        load_default=list,
        metadata={
            "description": "Recurring closures, every year: `rule` is `MM-DD`, `easter±N` "
            "(days from Easter Sunday; `easter-4` is the Wednesday before Maundy Thursday) "
            "or `midsummer-eve`; `closed_from` `HH:MM` closes the desk from then, null "
            "closes the whole day. A date's `special_hours` override its closure.",
            "example": [
                {"rule": "12-24", "closed_from": "12:00"},
                {"rule": "easter-4", "closed_from": "14:00"},
            ],
        },
    )


class PolicySchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = SlaPolicy
        exclude = ("set_name",)

    priority = auto_field(strict=True, validate=validate.Range(min=1, max=4))
    response_minutes = auto_field(strict=True, validate=POSITIVE_MINUTES)
    resolution_minutes = auto_field(strict=True, validate=POSITIVE_MINUTES)
    calendar = auto_field(validate=validate.Length(min=1))


class PolicySetSchema(ma.Schema):
    name = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    updated_at = AwareDateTime(dump_only=True)
    policies = fields.List(
        fields.Nested(PolicySchema), required=True, validate=validate.Length(min=1, max=4)
    )


class ReapplyResultSchema(ma.Schema):
    set = fields.String()
    tickets_reapplied = fields.Integer()


class PolicyChangeSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = SlaPolicyChange

    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


CalendarPageSchema = page_schema(CalendarSchema, "CalendarPage")
PolicySetPageSchema = page_schema(PolicySetSchema, "PolicySetPage")
PolicyChangePageSchema = page_schema(PolicyChangeSchema, "PolicyChangePage")


class ClockSchema(ma.Schema):
    target_minutes = fields.Integer()
    used_minutes = fields.Float(metadata={"description": "Business minutes counted so far."})
    due = AwareDateTime()
    breached = fields.Boolean()
    running = fields.Boolean(metadata={"description": "False while paused or stopped."})


class SlaEventSchema(ma.Schema):
    target = fields.String(metadata={"enum": ["response", "resolution"]})
    kind = fields.String(metadata={"enum": ["warning", "breach"]})
    at = AwareDateTime(metadata={"description": "When the clock reached 75 % / 100 %."})
    recorded_at = AwareDateTime()


class TicketSlaSchema(ma.Schema):
    """A ticket's SLA explained: the policy it runs on, the time used, what was recorded."""

    ticket_id = fields.Integer()
    policy_set = fields.String()
    priority = fields.Integer()
    calendar = fields.String()
    paused = fields.Boolean()
    responded_at = AwareDateTime(allow_none=True)
    resolved_at = AwareDateTime(allow_none=True)
    response = fields.Nested(ClockSchema)
    resolution = fields.Nested(ClockSchema)
    events = fields.List(fields.Nested(SlaEventSchema))
    computed_at = AwareDateTime()


SET_NAME = validate.Regexp(
    r"^[a-z0-9][a-z0-9_-]{0,49}$", error="Lower-case letters, digits, - and _."
)
