"""SLA HTTP API: calendars, policy sets, and one ticket's SLA explained."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.errors import ValidationFailed
from kommune_ikt.core.pagination import paginate_list
from kommune_ikt.core.types import utcnow
from kommune_ikt.web.edge import current_actor, db_session, roles
from kommune_ikt.web.schemas import ListArgs
from servicedesk.sla import policies
from servicedesk.sla.queries import explain_ticket_sla
from servicedesk.sla.schemas import (
    SET_NAME,
    CalendarPageSchema,
    CalendarSchema,
    PolicyChangePageSchema,
    PolicySetPageSchema,
    PolicySetSchema,
    ReapplyResultSchema,
    TicketSlaSchema,
)

blp = Blueprint("sla", __name__, description="SLA calendars and policy sets")


def _check_name(name: str) -> None:
    try:
        SET_NAME(name)
    except Exception as exc:  # marshmallow.ValidationError
        raise ValidationFailed("name", str(exc.args[0]))


@blp.route("/calendars")
class Calendars(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, CalendarPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List the calendars by name."""
        rows = policies.list_calendars(db_session(), current_actor())
        return paginate_list(rows, lambda c: (c.name,), [str], **args)


@blp.route("/calendars/<string:name>")
class CalendarItem(MethodView):
    @blp.etag
    @blp.response(200, CalendarSchema)
    def get(self, name: str) -> Any:
        """Read one calendar."""
        return policies.get_calendar(db_session(), current_actor(), name)

    @roles(Role.ADMIN)
    @blp.arguments(CalendarSchema)
    @blp.response(200, CalendarSchema)
    @blp.alt_response(201, schema=CalendarSchema, description="Created")
    def put(self, doc: dict[str, Any], name: str) -> Any:
        """Create or replace a calendar (admin); ``24x7`` is fixed."""
        _check_name(name)
        calendar, created = policies.put_calendar(db_session(), current_actor(), name, doc)
        return (calendar, 201) if created else calendar


@blp.route("/sla-policies")
class PolicySets(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, PolicySetPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List the SLA policy sets by name."""
        rows = policies.list_policy_sets(db_session(), current_actor())
        return paginate_list(rows, lambda s: (s["name"],), [str], **args)


@blp.route("/sla-policies/<string:name>")
class PolicySetItem(MethodView):
    @blp.etag
    @blp.response(200, PolicySetSchema)
    def get(self, name: str) -> Any:
        """Read one SLA policy set."""
        return policies.get_policy_set(db_session(), current_actor(), name)

    @roles(Role.ADMIN)
    @blp.arguments(PolicySetSchema)
    @blp.response(200, PolicySetSchema)
    @blp.alt_response(201, schema=PolicySetSchema, description="Created")
    def put(self, data: dict[str, Any], name: str) -> Any:
        """Create or replace a policy set (admin); open tickets keep their targets."""
        _check_name(name)
        result, created = policies.put_policy_set(
            db_session(), current_actor(), name, data["policies"]
        )
        return (result, 201) if created else result


@blp.route("/sla-policies/<string:name>/reapply")
class PolicySetReapply(MethodView):
    @roles(Role.ADMIN)
    @blp.response(200, ReapplyResultSchema)
    def post(self, name: str) -> Any:
        """Give the set's current targets to the open tickets that use it (admin)."""
        return policies.reapply_policy_set(db_session(), current_actor(), name)


@blp.route("/sla-policies/<string:name>/changes")
class PolicySetChanges(MethodView):
    @roles(Role.AGENT)
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, PolicyChangePageSchema)
    def get(self, args: dict[str, Any], name: str) -> Any:
        """The recorded changes of a policy set, newest first (IT staff)."""
        return policies.list_policy_changes(db_session(), current_actor(), name, **args)


@blp.route("/tickets/<int:ticket_id>/sla")
class TicketSla(MethodView):
    @blp.response(200, TicketSlaSchema)
    def get(self, ticket_id: int) -> Any:
        """A ticket's SLA explained: policy set, calendar, business minutes used, events."""
        return explain_ticket_sla(db_session(), current_actor(), ticket_id, utcnow())


def blueprints() -> list[Blueprint]:
    return [blp]
