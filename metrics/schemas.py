"""API schemas of outages, probes, availability and the SLA report (derived from the models)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
from marshmallow import validate
from marshmallow_sqlalchemy import auto_field

from kommune_ikt.web import fields
from kommune_ikt.web.schemas import AutoSchema, AwareDateTime, ListArgs, page_schema
from metrics.models import Outage, Probe

MUNICIPALITY_NUMBER = validate.Regexp(r"^\d{4}$", error="A 4-digit municipality number.")


class OutageSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = Outage
        exclude = ("created_by_id",)
        dump_only: tuple[str, ...] = (
            "id",
            "ticket_id",
            "probe_id",
            "created_at",
            "updated_at",
            "version",
        )
        load_defaults: dict[str, Any] = {"description": ""}

    municipalities = fields.List(
        fields.String(validate=MUNICIPALITY_NUMBER),
        allow_none=True,
        load_default=None,
        metadata={"description": "null: every municipality"},
    )
    description = auto_field(validate=validate.Length(max=10_000))
    ongoing = fields.Method("_ongoing", dump_only=True)

    def _ongoing(self, outage: Outage) -> bool:
        return outage.ended_at is None


class OutageCreateSchema(OutageSchema):
    class Meta(OutageSchema.Meta):
        dump_only = ("id", "probe_id", "created_at", "updated_at", "version")
        load_defaults = {**OutageSchema.Meta.load_defaults, "ticket_id": None}

    ticket_id = auto_field(
        metadata={"description": "The P1 incident; opened automatically when not given"}
    )


class OutagePatchSchema(ma.Schema):
    started_at = AwareDateTime()
    ended_at = AwareDateTime(allow_none=True)
    description = fields.String(validate=validate.Length(max=10_000))
    municipalities = fields.List(fields.String(validate=MUNICIPALITY_NUMBER), allow_none=True)


class OutageListArgs(ListArgs):
    service_code = fields.String(load_default=None)
    planned = fields.Boolean(load_default=None)
    ongoing = fields.Boolean(load_default=None)
    municipality = fields.String(load_default=None, validate=MUNICIPALITY_NUMBER)


OutagePageSchema = page_schema(OutageSchema, "OutagePage")


def _check_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ma.ValidationError("Must be an http:// or https:// URL with a host.")
    if parts.username or parts.password:
        raise ma.ValidationError("Credentials in the URL are not allowed.")


class ProbeSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = Probe
        dump_only = (
            "id",
            "next_run_at",
            "last_run_at",
            "last_ok",
            "last_error",
            "last_latency_seconds",
            "consecutive_failures",
            "consecutive_successes",
            "runs_total",
            "failures_total",
            "created_at",
            "updated_at",
            "version",
        )
        exclude = ("created_by_id",)
        load_defaults = {
            "name": "",
            "interval_seconds": 60,
            "timeout_seconds": 5.0,
            "expected_status": 200,
            "failure_threshold": 3,
            "recovery_threshold": 2,
            "body_contains": None,
        }

    url = auto_field(validate=_check_url)
    interval_seconds = auto_field(
        validate=validate.Range(min=10, max=86_400, error="Between 10 and 86400 seconds.")
    )
    timeout_seconds = auto_field(
        validate=validate.Range(min=0.1, max=60, error="Between 0.1 and 60.")
    )
    expected_status = auto_field(validate=validate.Range(min=100, max=599))
    failure_threshold = auto_field(validate=validate.Range(min=1, max=100))
    recovery_threshold = auto_field(validate=validate.Range(min=1, max=100))
    body_contains = auto_field(validate=validate.Length(min=1))

    @ma.validates_schema
    def _timeout_within_interval(self, data: dict[str, Any], **_kw: Any) -> None:
        timeout, interval = data.get("timeout_seconds"), data.get("interval_seconds")
        if timeout is not None and interval is not None and timeout >= interval:
            raise ma.ValidationError("Must be shorter than interval_seconds.", "timeout_seconds")


class ProbePatchSchema(ProbeSchema):
    """The same fields, each optional (used with ``partial=True``)."""


class ProbeListArgs(ListArgs):
    service_code = fields.String(load_default=None)


ProbePageSchema = page_schema(ProbeSchema, "ProbePage")


class WindowArgs(ma.Schema):
    """``from`` and ``to`` (RFC 3339); default: the 30 days up to now."""

    from_ = AwareDateTime(data_key="from", load_default=None)
    to = AwareDateTime(load_default=None)


class ServiceAvailabilityArgs(WindowArgs):
    municipality = fields.String(load_default=None, validate=MUNICIPALITY_NUMBER)


class WindowOutageSchema(ma.Schema):
    id = fields.Integer()
    started_at = AwareDateTime()
    ended_at = AwareDateTime(allow_none=True)
    planned = fields.Boolean()
    counted_seconds = fields.Float()


class ServiceAvailabilitySchema(ma.Schema):
    service_code = fields.String()
    service_hours = fields.String()
    from_ = AwareDateTime(data_key="from")
    to = AwareDateTime()
    municipality = fields.String(allow_none=True)
    target = fields.Float(allow_none=True)
    availability = fields.Float()
    downtime_seconds = fields.Float()
    planned_downtime_seconds = fields.Float()
    window_seconds = fields.Float()
    error_budget_seconds = fields.Float(allow_none=True)
    error_budget_remaining = fields.Float(allow_none=True)
    outages = fields.List(fields.Nested(WindowOutageSchema))


class StabilitySchema(ma.Schema):
    service_code = fields.String()
    from_ = AwareDateTime(data_key="from")
    to = AwareDateTime()
    outage_count = fields.Integer()
    downtime_seconds = fields.Float()
    mttr_seconds = fields.Float(allow_none=True)
    mtbf_seconds = fields.Float(allow_none=True)
    longest_outage_seconds = fields.Float(allow_none=True)
    longest_outage_id = fields.Integer(allow_none=True)


class SlaReportArgs(WindowArgs):
    municipality = fields.String(load_default=None, validate=MUNICIPALITY_NUMBER)
    format = fields.String(load_default=None, validate=validate.OneOf(["json", "csv"]))


class SlaReportRowSchema(ma.Schema):
    municipality = fields.String()
    priority = fields.Integer()
    tickets = fields.Integer()
    response_met = fields.Integer()
    response_breached = fields.Integer()
    response_compliance = fields.Float(allow_none=True)
    resolution_met = fields.Integer()
    resolution_breached = fields.Integer()
    resolution_compliance = fields.Float(allow_none=True)
    breaches = fields.Integer()


class SlaReportSchema(ma.Schema):
    from_ = AwareDateTime(data_key="from")
    to = AwareDateTime()
    rows = fields.List(fields.Nested(SlaReportRowSchema))
