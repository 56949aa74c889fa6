"""Cost report pages: what a municipality owes for a year, by tier and month, and as CSV."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from babel.dates import get_month_names
from babel.numbers import format_decimal, format_percent
from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from kommune_ikt.web.i18n import current_language
from portal import nav, refusals
from portal.charts import Chart
from portal.i18n import kroner
from portal.views import actor, requires
from service_catalog import budget_years, closing
from service_catalog.catalogue import budget_year, check_year
from service_catalog.municipalities import list_municipalities
from service_catalog.reports import build as cost_reports
from service_catalog.reports import csv_export as report_csv
from service_catalog.reports import months as cost_months
from service_catalog.reports.values import MunicipalityReport

bp = Blueprint("portal_costs", __name__, template_folder="templates")
# The API's readers of a municipality's report; IT roles pick the municipality.
READERS = (Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS)
nav.register("portal_costs.costs", _l("Kostnader"), roles={Role.ORDERER}, order=40)

TIER_NAMES = {
    "basic": _l("Grunntjenester"),
    "optional": _l("Tilleggstjenester"),
    "special": _l("Spesialbestillinger"),
}
QUANTITY_NAMES = {"basic": _l("Andel"), "optional": _l("Antall"), "special": _l("Timer")}
RULE_NAMES = {
    "basic.allocation": _l("Fordelt etter fordelingsnøkkel"),
    "optional.month": _l("Pris per måned"),
    "optional.year": _l("Pris per år"),
    "optional.once": _l("Engangspris"),
    "optional.setup_fee": _l("Etableringsgebyr"),
    "special.quote": _l("Godtatt pristilbud"),
    "special.actual": _l("Faktiske timer"),
}
DOWNLOADS = {"csv": report_csv.Dialect.RFC4180, "excel": report_csv.Dialect.EXCEL_NO}


class CostFilterForm(FlaskForm):
    """The GET form above the report: which year (and, for IT roles, which municipality)."""

    class Meta:
        csrf = False

    year = SelectField(_l("År"), choices=[])
    municipality = SelectField(_l("Kommune"), choices=[])


@bp.get("/costs")
@requires(*READERS)
def costs() -> Any:
    """A municipality's cost report for a year, with its chart and downloads."""
    session, me = db_session(), actor()
    this_year = budget_year()
    year = request.args.get("year", this_year, type=int)
    check_year(year)  # an impossible year is the error page's 422
    form = CostFilterForm(formdata=None)
    years = {y.year for y in budget_years.list_years(session, me)} | {this_year, year}
    form.year.choices = [SelectChoice(str(y), str(y)) for y in sorted(years, reverse=True)]
    form.year.data = str(year)
    number = _municipality(me, form)
    context: dict[str, Any] = {
        "form": form,
        "year": year,
        "number": number,
        "report": None,
        "tier_names": TIER_NAMES,
    }
    if number is None:
        return render_template("costs/report.html", **context)
    try:
        report = cost_reports.municipality_report(
            session, me, year, number, current_app.config["SETTINGS"].currency
        )
    except DomainError as exc:
        # A year nobody has priced yet has no report: that is news, not an error.
        status = 200 if set(exc.errors or {}) == {"year"} else exc.status
        refusal = refusals.messages(exc)[0]
        return render_template("costs/report.html", **context, refusal=refusal), status
    context["report"] = report
    return render_template(
        "costs/report.html",
        **context,
        closed=closing.is_closed(session, year),
        tiers=_tiers(report),
        chart=_chart(report),
        downloads={
            kind: url_for(
                "portal_costs.download", **{"year": year, "kind": kind, **_scope(me, number)}
            )
            for kind in DOWNLOADS
        },
    )


@bp.get("/costs/<int:year>.csv", defaults={"kind": "csv"})
@bp.get("/costs/<int:year>.excel.csv", defaults={"kind": "excel"})
@requires(*READERS)
def download(year: int, kind: str) -> Any:
    """The report as CSV: the API's own (``Accept: text/csv``), in either dialect."""
    session, me = db_session(), actor()
    check_year(year)
    number = me.municipality if me.is_municipal else request.args.get("municipality")
    currency = current_app.config["SETTINGS"].currency
    report = cost_reports.municipality_report(session, me, year, number, currency)
    dialect = DOWNLOADS[kind]
    text = report_csv.municipality_csv(report, dialect, current_language(), currency)
    suffix = "-excel" if dialect == report_csv.Dialect.EXCEL_NO else ""
    response = Response(
        text.encode("utf-8"), content_type="text/csv; charset=utf-8; header=present"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="kostnader-{year}-{report.municipality}{suffix}.csv"'
    )
    response.headers["Content-Language"] = current_language()
    return response


def _scope(me: Actor, number: str) -> dict[str, Any]:
    return {} if me.is_municipal else {"municipality": number}


def _municipality(me: Actor, form: CostFilterForm) -> str | None:
    """The caller's own municipality, or (IT roles) the one picked; None until picked."""
    if me.is_municipal:
        del form.municipality
        return me.municipality
    chosen = request.args.get("municipality") or None
    form.municipality.choices = [SelectChoice("", _("Velg kommune"))] + [
        SelectChoice(m.number, f"{m.name} ({m.number})")
        for m in list_municipalities(db_session(), me)
    ]
    form.municipality.data = chosen or ""
    return chosen


def _month_names(kind: Literal["abbreviated", "wide"]) -> list[str]:
    names = get_month_names(kind, context="stand-alone", locale=str(get_locale()))
    return [names[m] for m in range(1, 13)]


def _quantity(tier: str, value: Decimal) -> str:
    locale = str(get_locale())
    if tier == "basic":  # the municipality's share of the month
        return format_percent(value, "#,##0.00 %", locale=locale)
    return format_decimal(value, locale=locale)


def _tiers(report: MunicipalityReport) -> list[dict[str, Any]]:
    """The report's lines grouped by tier, each line with its month and rule in words."""
    months = _month_names("wide")
    prefix = f"{report.year}-"
    out = []
    for tier, name in TIER_NAMES.items():
        lines = [line for line in report.lines if line.tier == tier]
        if not lines:
            continue
        rows = []
        for line in lines:
            month = _("Hele året")
            if line.month and line.month.startswith(prefix):
                month = months[int(line.month[len(prefix) :]) - 1]
            rows.append(
                {
                    "line": line,
                    "month": month,
                    "rule": RULE_NAMES.get(line.rule, line.rule),
                    "quantity": _quantity(tier, line.quantity),
                }
            )
        out.append(
            {
                "tier": tier,
                "name": name,
                "quantity_name": QUANTITY_NAMES[tier],
                "rows": rows,
                "total": report.totals[tier],
            }
        )
    return out


def _chart(report: MunicipalityReport) -> Chart | None:
    """Stacked bars: one per month (and one for charges priced per year), a segment per tier."""
    if not report.lines:
        return None
    split = cost_months.split_by_month(report)
    labels = _month_names("abbreviated")
    whole_year = split.whole_year.as_money()
    if split.whole_year.total:
        labels.append(_("Hele året"))
    series = []
    for tier, name in TIER_NAMES.items():
        if not report.totals[tier]:
            continue
        values = split.amounts(tier)
        if split.whole_year.total:
            values.append(whole_year[tier])
        series.append((str(name), values))
    return Chart(
        title=_("Kostnader per måned i %(year)s", year=report.year),
        labels=labels,
        series=series,
        format_value=lambda value: kroner(Decimal(value)),
        summary=_(
            "Stablede søyler per måned, én farge per tjenestetype. Totalt %(total)s.",
            total=kroner(report.totals["total"]),
        ),
    )
