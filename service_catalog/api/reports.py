"""Cost reports HTTP API: JSON, or CSV with ``Accept: text/csv``."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.web.edge import current_actor, db_session, roles
from kommune_ikt.web.i18n import current_language
from service_catalog.catalogue import check_year
from service_catalog.reports import build as cost_reports
from service_catalog.reports import csv_export as report_csv
from service_catalog.schemas.reports import (
    CollaborationReportSchema,
    CostReportArgs,
    CostReportSchema,
)

blp = Blueprint("cost_reports", __name__, description="What each municipality owes, and why")
CSV = "text/csv"


@blp.route("/cost-reports/<int:year>")
class CostReport(MethodView):
    @roles(Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS)
    @blp.arguments(CostReportArgs, location="query")
    @blp.response(200, CostReportSchema)
    @blp.doc(
        responses={
            "200": {
                "description": "One municipality's report; without `municipality`, IT roles "
                "get one row per municipality and the collaboration's sums. With "
                "`Accept: text/csv`, the same as CSV.",
                "content": {
                    "application/json": {
                        "schema": {"oneOf": [CostReportSchema, CollaborationReportSchema]}
                    },
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    )
    def get(self, args: dict[str, Any], year: int) -> Any:
        """A budget year's costs: one municipality's lines, or (IT roles) every municipality."""
        check_year(year)
        session, actor = db_session(), current_actor()
        dialect = report_csv.Dialect(args["dialect"])
        wants_csv = (
            request.accept_mimetypes.best_match(["application/json", CSV], "application/json")
            == CSV
        )
        number = args.get("municipality")
        currency = current_app.config["SETTINGS"].currency
        if number is None and actor.is_it:
            report = cost_reports.collaboration_report(session, actor, year, currency)
            if wants_csv:
                text = report_csv.collaboration_csv(report, dialect, current_language(), currency)
                return _csv(text, f"kostnader-{year}")
            return current_app.json.response(CollaborationReportSchema().dump(report))
        municipal = cost_reports.municipality_report(session, actor, year, number, currency)
        if wants_csv:
            return _csv(
                report_csv.municipality_csv(municipal, dialect, current_language(), currency),
                f"kostnader-{year}-{municipal.municipality}",
            )
        return municipal


def _csv(text: str, filename: str) -> Response:
    response = current_app.response_class(
        text.encode("utf-8"), content_type="text/csv; charset=utf-8; header=present"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    # The Excel dialect's headings are in the reader's language.
    response.headers["Content-Language"] = current_language()
    response.vary.add("Accept-Language")
    return response
