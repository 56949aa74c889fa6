"""Catalogue managers' pages for budget years: their state, and closing one after a preview
of what closing freezes."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _

from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.catalogue_admin.blueprint import MANAGER, bp
from portal.forms import ButtonForm
from portal.views import actor, requires
from service_catalog import budget_years, catalogue, closing
from service_catalog.reports import build as cost_reports


def _currency() -> str:
    return str(current_app.config["SETTINGS"].currency)


@bp.get("/budget-years")
@requires(MANAGER)
def budget_years_page() -> Any:
    """Budget years with their state; each open one links to its closing preview."""
    return render_template(
        "catalogue_admin/budget_years.html",
        rows=budget_years.list_years(db_session(), actor()),
    )


def _close_page(year: int, status: int = 200, message: str | None = None) -> Any:
    session = db_session()
    catalogue.check_year(year)
    return render_template(
        "catalogue_admin/close.html",
        year=year,
        closed=closing.is_closed(session, year),
        report=cost_reports.collaboration_report(session, actor(), year, _currency()),
        button=ButtonForm(),
        message=message,
    ), status


@bp.get("/budget-years/<int:year>/close")
@requires(MANAGER)
def close_preview(year: int) -> Any:
    """What closing the year freezes: each municipality's totals, before a confirm button."""
    return _close_page(year)


@bp.post("/budget-years/<int:year>/close")
@requires(MANAGER)
def close(year: int) -> Any:
    """Close the year (POST /budget-years/{year}/close); closing a closed year is 409."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        budget_years.close_year(db_session(), actor(), year, _currency())
    except DomainError as exc:
        db_session().rollback()
        return _close_page(year, exc.status, exc.to_problem(_)["detail"])
    return redirect(url_for(".budget_years_page"), 303)
