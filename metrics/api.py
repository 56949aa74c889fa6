"""HTTP API of outages, probes, availability, stability and the SLA report."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.web.edge import current_actor, db_session, refuses_some_callers, roles
from kommune_ikt.web.idempotency import idempotent
from metrics import outages, probes, queries
from metrics.schemas import (
    OutageCreateSchema,
    OutageListArgs,
    OutagePageSchema,
    OutagePatchSchema,
    OutageSchema,
    ProbeListArgs,
    ProbePageSchema,
    ProbePatchSchema,
    ProbeSchema,
    ServiceAvailabilityArgs,
    ServiceAvailabilitySchema,
    SlaReportArgs,
    SlaReportSchema,
    StabilitySchema,
    WindowArgs,
)

outage_blp = Blueprint("outages", __name__, description="Outages, planned and unplanned")
probe_blp = Blueprint("probes", __name__, description="HTTP(S) probes that open outages")
availability_blp = Blueprint(
    "availability", __name__, description="Availability, error budget and stability of services"
)
report_blp = Blueprint("sla_reports", __name__, description="SLA compliance reports")
CSV = "text/csv"


def blueprints() -> list[Blueprint]:
    return [outage_blp, probe_blp, availability_blp, report_blp]


@outage_blp.route("/outages")
class Outages(MethodView):
    @refuses_some_callers
    @outage_blp.arguments(OutageListArgs, location="query")
    @outage_blp.response(200, OutagePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List outages, newest first (municipal callers: those that touch them)."""
        return queries.list_outages(db_session(), current_actor(), **args)

    @roles(Role.OPERATIONS)
    @idempotent
    @outage_blp.arguments(OutageCreateSchema)
    @outage_blp.response(201, OutageSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Record an outage; an unplanned one gets its P1 incident (opened unless given)."""
        return outages.create_outage(db_session(), current_actor(), data)


@outage_blp.route("/outages/<int:outage_id>")
class OutageItem(MethodView):
    @outage_blp.etag
    @outage_blp.response(200, OutageSchema)
    def get(self, outage_id: int) -> Any:
        """Read one outage."""
        return outages.get_outage(db_session(), current_actor(), outage_id)

    @roles(Role.OPERATIONS)
    @outage_blp.etag
    @outage_blp.arguments(OutagePatchSchema)
    @outage_blp.response(200, OutageSchema)
    def patch(self, changes: dict[str, Any], outage_id: int) -> Any:
        """Change an outage, e.g. set ``ended_at`` to end it (If-Match required)."""
        session, actor = db_session(), current_actor()
        outage = outages.get_outage(session, actor, outage_id, for_update=True)
        outage_blp.check_etag(outage, OutageSchema)
        return outages.update_outage(session, actor, outage, changes)


@probe_blp.route("/probes")
class Probes(MethodView):
    @roles(Role.OPERATIONS)
    @probe_blp.arguments(ProbeListArgs, location="query")
    @probe_blp.response(200, ProbePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List probes (operations)."""
        return probes.list_probes(db_session(), current_actor(), **args)

    @roles(Role.OPERATIONS)
    @probe_blp.arguments(ProbeSchema)
    @probe_blp.response(201, ProbeSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add an HTTP(S) probe to a service (operations)."""
        return probes.create_probe(
            db_session(), current_actor(), data, allow_networks=_probe_allow_networks()
        )


@probe_blp.route("/probes/<int:probe_id>")
class ProbeItem(MethodView):
    @roles(Role.OPERATIONS)
    @probe_blp.etag
    @probe_blp.response(200, ProbeSchema)
    def get(self, probe_id: int) -> Any:
        """Read one probe and its last result (operations)."""
        return probes.get_probe(db_session(), current_actor(), probe_id)

    @roles(Role.OPERATIONS)
    @probe_blp.etag
    @probe_blp.arguments(ProbePatchSchema(partial=True))
    @probe_blp.response(200, ProbeSchema)
    def patch(self, changes: dict[str, Any], probe_id: int) -> Any:
        """Change a probe (operations; If-Match required)."""
        session, actor = db_session(), current_actor()
        probe = probes.get_probe(session, actor, probe_id, for_update=True)
        probe_blp.check_etag(probe, ProbeSchema)
        return probes.update_probe(
            session, actor, probe, changes, allow_networks=_probe_allow_networks()
        )

    @roles(Role.OPERATIONS)
    @probe_blp.etag
    @probe_blp.response(204)
    def delete(self, probe_id: int) -> None:
        """Remove a probe (operations; If-Match required)."""
        session, actor = db_session(), current_actor()
        probe = probes.get_probe(session, actor, probe_id, for_update=True)
        probe_blp.check_etag(probe, ProbeSchema)
        probes.delete_probe(session, actor, probe)


@availability_blp.route("/services/<string:code>/availability")
class Availability(MethodView):
    @availability_blp.arguments(ServiceAvailabilityArgs, location="query")
    @availability_blp.response(200, ServiceAvailabilitySchema)
    def get(self, args: dict[str, Any], code: str) -> Any:
        """Availability, downtime and error budget over [from, to) (planned outages not counted)."""
        return queries.get_availability(
            db_session(),
            current_actor(),
            code,
            start=args["from_"],
            end=args["to"],
            municipality=args["municipality"],
        )


@availability_blp.route("/services/<string:code>/stability")
class Stability(MethodView):
    @availability_blp.arguments(WindowArgs, location="query")
    @availability_blp.response(200, StabilitySchema)
    def get(self, args: dict[str, Any], code: str) -> Any:
        """Outage count, downtime, MTTR, MTBF and longest outage over [from, to)."""
        return queries.get_stability(
            db_session(), current_actor(), code, start=args["from_"], end=args["to"]
        )


@report_blp.route("/reports/sla")
class SlaReport(MethodView):
    @roles(Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS)
    @report_blp.arguments(SlaReportArgs, location="query")
    @report_blp.response(200, SlaReportSchema)
    @report_blp.doc(
        responses={
            "200": {
                "description": "JSON, or CSV with `Accept: text/csv` (or `format=csv`).",
                "content": {
                    "application/json": {"schema": SlaReportSchema},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    )
    def get(self, args: dict[str, Any]) -> Any:
        """SLA compliance per municipality and priority over [from, to)."""
        report = queries.get_sla_report(
            db_session(),
            current_actor(),
            start=args["from_"],
            end=args["to"],
            municipality=args["municipality"],
        )
        wants_csv = args["format"] == "csv" or (
            args["format"] is None
            and request.accept_mimetypes.best_match(["application/json", CSV], "application/json")
            == CSV
        )
        if wants_csv:
            return _csv(report["rows"], "sla-report")
        return report


def _probe_allow_networks() -> str:
    return current_app.config["SETTINGS"].probe_allow_networks


def _csv(rows: list[dict[str, Any]], filename: str) -> Response:
    response = current_app.response_class(
        queries.sla_report_csv(rows).encode("utf-8"),
        content_type="text/csv; charset=utf-8; header=present",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
