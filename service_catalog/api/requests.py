"""Special requests HTTP API: submit, quote, accept/reject, rank and deliver."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.pagination import paginate_list
from kommune_ikt.web.edge import current_actor, db_session, roles
from kommune_ikt.web.idempotency import idempotent
from kommune_ikt.web.schemas import ListArgs
from service_catalog import queries
from service_catalog import special_requests as requests
from service_catalog.schemas.special_requests import (
    QuoteArgsSchema,
    SpecialRequestCreateSchema,
    SpecialRequestListArgs,
    SpecialRequestPageSchema,
    SpecialRequestPatchSchema,
    SpecialRequestSchema,
)

blp = Blueprint(
    "special_requests", __name__, description="Special requests, quoted and ranked in one portfolio"
)
READERS = (Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS)


@blp.route("/special-requests")
class SpecialRequests(MethodView):
    @roles(*READERS)
    @blp.arguments(SpecialRequestListArgs, location="query")
    @blp.response(200, SpecialRequestPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List special requests, newest first (orderers: their municipality's)."""
        return queries.list_special_requests(db_session(), current_actor(), **args)

    @roles(Role.ORDERER)
    @idempotent
    @blp.arguments(SpecialRequestCreateSchema)
    @blp.response(201, SpecialRequestSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Submit a special request (orderer); it joins the portfolio last."""
        return requests.submit_request(db_session(), current_actor(), data)


@blp.route("/special-requests/portfolio")
class Portfolio(MethodView):
    @roles(*READERS)
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, SpecialRequestPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """The open requests in portfolio order, rank 1 first (orderers: their own in it)."""
        rows = queries.list_portfolio(db_session(), current_actor())
        return paginate_list(rows, lambda r: (r.priority_rank, r.id), [int, int], **args)


@blp.route("/special-requests/<int:request_id>")
class SpecialRequestItem(MethodView):
    @roles(*READERS)
    @blp.etag
    @blp.response(200, SpecialRequestSchema)
    def get(self, request_id: int) -> Any:
        """Read a special request."""
        return requests.get_request(db_session(), current_actor(), request_id)

    @roles(Role.CATALOGUE_MANAGER)
    @blp.etag
    @blp.arguments(SpecialRequestPatchSchema)
    @blp.response(200, SpecialRequestSchema)
    def patch(self, changes: dict[str, Any], request_id: int) -> Any:
        """Re-rank, start, record hours or deliver (catalogue manager, admin); needs If-Match."""
        session, actor = db_session(), current_actor()
        request = requests.get_request(session, actor, request_id, for_update=True)
        blp.check_etag(request, SpecialRequestSchema)
        return requests.update_request(session, actor, request, changes)


@blp.route("/special-requests/<int:request_id>/quote")
class SpecialRequestQuote(MethodView):
    @roles(Role.CATALOGUE_MANAGER)
    @blp.arguments(QuoteArgsSchema)
    @blp.response(200, SpecialRequestSchema)
    def post(self, data: dict[str, Any], request_id: int) -> Any:
        """Quote hours (× the service's hourly rate) or a fixed amount (catalogue manager)."""
        return requests.quote_request(db_session(), current_actor(), request_id, data)


@blp.route("/special-requests/<int:request_id>/accept")
class SpecialRequestAccept(MethodView):
    @roles(Role.ORDERER)
    @blp.response(200, SpecialRequestSchema)
    def post(self, request_id: int) -> Any:
        """Accept the quote (the municipality's orderer)."""
        return requests.accept_request(db_session(), current_actor(), request_id)


@blp.route("/special-requests/<int:request_id>/reject")
class SpecialRequestReject(MethodView):
    @roles(Role.ORDERER)
    @blp.response(200, SpecialRequestSchema)
    def post(self, request_id: int) -> Any:
        """Decline the quote (the municipality's orderer); the request leaves the portfolio."""
        return requests.reject_request(db_session(), current_actor(), request_id)
