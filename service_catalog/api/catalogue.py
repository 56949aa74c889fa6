"""Catalogue HTTP API: services, their yearly prices and the allocation keys."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.pagination import paginate_list
from kommune_ikt.web.edge import current_actor, db_session, roles
from kommune_ikt.web.schemas import ListArgs
from service_catalog import budget_years, catalogue, keys, participants, queries
from service_catalog.schemas.budget_years import BudgetYearPageSchema, BudgetYearSchema
from service_catalog.schemas.keys import (
    AllocationKeyPageSchema,
    AllocationKeyPutSchema,
    AllocationKeySchema,
)
from service_catalog.schemas.services import (
    ParticipantsSchema,
    PricePageSchema,
    PricePutSchema,
    PriceSchema,
    ServiceListArgs,
    ServicePageSchema,
    ServicePatchSchema,
    ServiceSchema,
)

blp = Blueprint("catalogue", __name__, description="Services, yearly prices and allocation keys")


@blp.route("/services")
class Services(MethodView):
    @blp.arguments(ServiceListArgs, location="query")
    @blp.response(200, ServicePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List services by code, with this year's prices (everyone)."""
        return queries.list_service_views(db_session(), **args)

    @roles(Role.CATALOGUE_MANAGER)
    @blp.arguments(ServiceSchema)
    @blp.response(201, ServiceSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a service (catalogue manager, admin)."""
        return catalogue.create_service(db_session(), current_actor(), data)


@blp.route("/services/<string:code>")
class ServiceItem(MethodView):
    @blp.etag
    @blp.response(200, ServiceSchema)
    def get(self, code: str) -> Any:
        """Read a service with the price of the current budget year (everyone)."""
        session = db_session()
        return catalogue.view_service(session, catalogue.get_service(session, code))

    @roles(Role.CATALOGUE_MANAGER)
    @blp.etag
    @blp.arguments(ServicePatchSchema(partial=True))
    @blp.response(200, ServiceSchema)
    def patch(self, changes: dict[str, Any], code: str) -> Any:
        """Change a service (catalogue manager, admin); needs If-Match."""
        session = db_session()
        service = catalogue.get_service(session, code, for_update=True)
        blp.check_etag(catalogue.view_service(session, service), ServiceSchema)
        return catalogue.update_service(session, current_actor(), service, changes)


@blp.route("/services/<string:code>/prices")
class ServicePrices(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, PricePageSchema)
    def get(self, args: dict[str, Any], code: str) -> Any:
        """Every budget year's price of a service, oldest first (everyone)."""
        rows = catalogue.list_prices(db_session(), code)
        return paginate_list(rows, lambda p: (p.year,), [int], **args)


@blp.route("/services/<string:code>/prices/<int:year>")
class ServicePriceItem(MethodView):
    @blp.response(200, PriceSchema)
    def get(self, code: str, year: int) -> Any:
        """One budget year's price of a service (everyone)."""
        return catalogue.get_price(db_session(), code, year)

    @roles(Role.CATALOGUE_MANAGER)
    @blp.arguments(PricePutSchema)
    @blp.response(200, PriceSchema)
    def put(self, data: dict[str, Any], code: str, year: int) -> Any:
        """Set a service's price for a budget year; the shape follows the tier."""
        return catalogue.set_price(db_session(), current_actor(), code, year, data)


@blp.route("/services/<string:code>/participants/<int:year>")
class ServiceParticipants(MethodView):
    @blp.response(200, ParticipantsSchema)
    def get(self, code: str, year: int) -> Any:
        """Who shares a basic service's cost in a budget year (everyone signed in)."""
        return participants.get_participants(db_session(), code, year)

    @roles(Role.CATALOGUE_MANAGER)
    @blp.arguments(ParticipantsSchema)
    @blp.response(200, ParticipantsSchema)
    def put(self, data: dict[str, Any], code: str, year: int) -> Any:
        """Name the members sharing a basic service's cost in a budget year."""
        return participants.set_participants(
            db_session(), current_actor(), code, year, data["municipalities"]
        )


@blp.route("/budget-years")
class BudgetYears(MethodView):
    @blp.response(200, BudgetYearPageSchema)
    def get(self) -> Any:
        """Budget years with a price or closed, oldest first, with their state (everyone)."""
        return {
            "items": budget_years.list_years(db_session(), current_actor()),
            "next_cursor": None,
        }


@blp.route("/budget-years/<int:year>/close")
class BudgetYearClose(MethodView):
    @roles(Role.CATALOGUE_MANAGER)
    @blp.response(200, BudgetYearSchema)
    def post(self, year: int) -> Any:
        """Close a budget year: its cost reports are frozen; edits that would change it are 409."""
        currency = current_app.config["SETTINGS"].currency
        return budget_years.close_year(db_session(), current_actor(), year, currency)


@blp.route("/allocation-keys")
class AllocationKeys(MethodView):
    @roles(Role.CATALOGUE_MANAGER)
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, AllocationKeyPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List allocation keys by name (catalogue manager, admin)."""
        rows = keys.list_keys(db_session(), current_actor())
        return paginate_list(rows, lambda k: (k.name,), [str], **args)

    @roles(Role.CATALOGUE_MANAGER)
    @blp.arguments(AllocationKeySchema)
    @blp.response(201, AllocationKeySchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add an allocation key: weights summing to 1, or fixed shares summing to 1."""
        return keys.create_key(db_session(), current_actor(), data)


# <path:name>: key names such as "SSIKT 50/50" or "IKTNH 1/3 + 2/3" hold slashes.
@blp.route("/allocation-keys/<path:name>")
class AllocationKeyItem(MethodView):
    @roles(Role.CATALOGUE_MANAGER)
    @blp.response(200, AllocationKeySchema)
    def get(self, name: str) -> Any:
        """Read an allocation key (catalogue manager, admin)."""
        return keys.get_key(db_session(), current_actor(), name)

    @roles(Role.CATALOGUE_MANAGER)
    @blp.arguments(AllocationKeyPutSchema)
    @blp.response(200, AllocationKeySchema)
    def put(self, data: dict[str, Any], name: str) -> Any:
        """Replace an allocation key's definition (catalogue manager, admin)."""
        return keys.replace_key(db_session(), current_actor(), name, data)
