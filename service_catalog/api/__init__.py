"""Catalogue HTTP API: municipalities, and the list of all the catalogue's blueprints."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.pagination import paginate_list
from kommune_ikt.web.edge import current_actor, db_session, roles
from service_catalog import municipalities
from service_catalog.api import catalogue, orders, reports, requests
from service_catalog.catalogue import check_year
from service_catalog.schemas.municipalities import (
    MunicipalityCreateSchema,
    MunicipalityListArgs,
    MunicipalityPageSchema,
    MunicipalityPatchSchema,
    MunicipalitySchema,
    PopulationPageSchema,
    PopulationSchema,
)

municipality_blp = Blueprint(
    "municipalities", __name__, description="Member municipalities (the tenants)"
)


@municipality_blp.route("/municipalities")
class Municipalities(MethodView):
    @municipality_blp.arguments(MunicipalityListArgs, location="query")
    @municipality_blp.response(200, MunicipalityPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List municipalities by number."""
        limit, cursor = args.pop("limit"), args.pop("cursor")
        rows = municipalities.list_municipalities(db_session(), current_actor(), **args)
        return paginate_list(rows, lambda m: (m.number,), [str], limit=limit, cursor=cursor)

    @roles(Role.ADMIN)
    @municipality_blp.arguments(MunicipalityCreateSchema)
    @municipality_blp.response(201, MunicipalitySchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a municipality (admin); by number alone for any official one."""
        return municipalities.add_municipality(db_session(), current_actor(), data)


@municipality_blp.route("/municipalities/<string:number>")
class MunicipalityItem(MethodView):
    @municipality_blp.etag
    @municipality_blp.response(200, MunicipalitySchema)
    def get(self, number: str) -> Any:
        """Read one municipality."""
        return municipalities.get_municipality(db_session(), current_actor(), number)

    @roles(Role.ADMIN)
    @municipality_blp.etag
    @municipality_blp.arguments(MunicipalityPatchSchema(partial=True))
    @municipality_blp.response(200, MunicipalitySchema)
    def patch(self, changes: dict[str, Any], number: str) -> Any:
        """Change a municipality (admin), e.g. set ``left_on`` when it leaves."""
        actor = current_actor()
        session = db_session()
        item = municipalities.get_municipality(session, actor, number, for_update=True)
        municipality_blp.check_etag(item, MunicipalitySchema)
        return municipalities.update_municipality(session, actor, item, changes)


@municipality_blp.route("/municipalities/<string:number>/populations")
class Populations(MethodView):
    @municipality_blp.response(200, PopulationPageSchema)
    def get(self, number: str) -> Any:
        """A municipality's population figures, oldest year first (everyone signed in)."""
        return {"items": municipalities.list_populations(db_session(), number), "next_cursor": None}


@municipality_blp.route("/municipalities/<string:number>/populations/<int:year>")
class PopulationItem(MethodView):
    @municipality_blp.response(200, PopulationSchema)
    def get(self, number: str, year: int) -> Any:
        """A municipality's population in one year (everyone signed in)."""
        check_year(year)
        return municipalities.get_population(db_session(), number, year)

    @roles(Role.ADMIN)
    @municipality_blp.arguments(PopulationSchema)
    @municipality_blp.response(200, PopulationSchema)
    def put(self, data: dict[str, Any], number: str, year: int) -> Any:
        """Record a year's population (admin); a year a closed budget year used is 409."""
        check_year(year)
        return municipalities.set_population(db_session(), current_actor(), number, year, data)


def blueprints() -> list[Blueprint]:
    return [municipality_blp, catalogue.blp, orders.blp, requests.blp, reports.blp]
