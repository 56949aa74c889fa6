"""Catalogue managers' page for special requests: quoting hours or an amount, and ranking
the portfolio."""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any

from flask import redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from portal.catalogue_admin.amounts import decimal_or_none, money, money_check
from portal.catalogue_admin.blueprint import MANAGER, bp
from portal.refusals import show_errors
from portal.views import actor, requires
from service_catalog import queries as catalog_queries
from service_catalog import special_requests as requests


class QuoteForm(FlaskForm):
    hours = StringField(_l("Timer"), validators=[Optional()])
    amount = StringField(_l("Beløp"), validators=[Optional(), money_check])

    def validate_hours(self, field: Any) -> None:
        try:
            value = decimal_or_none(field.data)
        except InvalidOperation:
            raise ValidationError(gettext("Skriv et antall timer, for eksempel 12,5."))
        if value is not None and (value <= 0 or value.as_tuple().exponent < -2):  # type: ignore[operator]
            raise ValidationError(gettext("Skriv et antall timer, for eksempel 12,5."))


class RankForm(FlaskForm):
    priority_rank = IntegerField(
        _l("Plass i porteføljen"),
        validators=[
            InputRequired(_l("Skriv en plass, 1 eller høyere.")),
            NumberRange(1, 1_000_000, _l("Skriv en plass, 1 eller høyere.")),
        ],
    )


def _requests_page(
    status: int = 200, failed: int | None = None, quote: Any = None, rank: Any = None
) -> Any:
    session = db_session()
    rows = catalog_queries.list_special_requests(session, actor(), limit=200).items
    forms = {}
    for r in rows:
        forms[r.id] = (
            quote
            if failed == r.id and quote is not None
            else QuoteForm(formdata=None, prefix=f"q{r.id}"),
            rank
            if failed == r.id and rank is not None
            else RankForm(
                formdata=None, prefix=f"r{r.id}", data={"priority_rank": r.priority_rank}
            ),
        )
    return render_template(
        "catalogue_admin/special_requests.html",
        rows=rows,
        portfolio=catalog_queries.list_portfolio(session, actor()),
        forms=forms,
    ), status


@bp.get("/special-requests")
@requires(MANAGER)
def special_requests() -> Any:
    """Special requests: quote hours or an amount, and rank the portfolio."""
    return _requests_page()


@bp.post("/special-requests/<int:request_id>/quote")
@requires(MANAGER)
def quote(request_id: int) -> Any:
    """Quote a special request: hours (× the hourly rate) or an amount."""
    form = QuoteForm(prefix=f"q{request_id}")
    if form.validate_on_submit():
        data = {"hours": decimal_or_none(form.hours.data), "amount": money(form.amount.data)}
        try:
            requests.quote_request(db_session(), actor(), request_id, data)
        except DomainError as exc:
            return _requests_page(show_errors(form, exc), request_id, quote=form)
        return redirect(url_for(".special_requests") + f"#request-{request_id}", 303)
    return _requests_page(422, request_id, quote=form)


@bp.post("/special-requests/<int:request_id>/rank")
@requires(MANAGER)
def rank(request_id: int) -> Any:
    """Move a request to a place in the portfolio (PATCH priority_rank)."""
    form = RankForm(prefix=f"r{request_id}")
    if form.validate_on_submit():
        session = db_session()
        try:
            found = requests.get_request(session, actor(), request_id, for_update=True)
            requests.update_request(
                session, actor(), found, {"priority_rank": form.priority_rank.data}
            )
        except DomainError as exc:
            return _requests_page(show_errors(form, exc), request_id, rank=form)
        return redirect(url_for(".special_requests") + f"#request-{request_id}", 303)
    return _requests_page(422, request_id, rank=form)
