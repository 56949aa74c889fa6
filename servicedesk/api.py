"""Servicedesk HTTP API: tickets, comments, history, queues and routing rules."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.exceptions import PreconditionRequired

from kommune_ikt.core.auth.actor import IT_ROLES, Role
from kommune_ikt.core.pagination import Page, paginate_list
from kommune_ikt.web.edge import current_actor, db_session, refuses_some_callers, roles
from kommune_ikt.web.idempotency import idempotent
from kommune_ikt.web.schemas import ListArgs
from servicedesk import filing, fulfilment, incidents, queries, queues, rules, services
from servicedesk.schemas import (
    CommentPageSchema,
    CommentSchema,
    HistoryPageSchema,
    QueuePageSchema,
    QueuePatchSchema,
    QueueSchema,
    RoutingDecisionSchema,
    RoutingRulePageSchema,
    RoutingRulePatchSchema,
    RoutingRuleSchema,
    RoutingTestSchema,
    TicketCreateSchema,
    TicketListArgs,
    TicketPageSchema,
    TicketPatchSchema,
    TicketSchema,
)
from servicedesk.triage import store as triage

EVERYONE = tuple(Role)
WORKERS = (Role.REQUESTER, Role.ORDERER, Role.AGENT)


class TicketBlueprint(Blueprint):
    """ETag handling where a ticket another municipality owns is a 404 before anything else.

    flask-smorest answers a PATCH without If-Match with 428 before the view
    runs; here the view first loads the ticket (404 for what the caller may
    not see), then asks for If-Match (428), then compares it (412).
    """

    def _check_precondition(self) -> None:
        return None


tickets_blp = TicketBlueprint(
    "tickets", __name__, description="Tickets of the shared servicedesk, comments and history"
)
routing_blp = Blueprint("routing", __name__, description="Queues and routing rules")


def _require_if_match() -> None:
    if not request.if_match:
        raise PreconditionRequired


# An instance, not the class: webargs and flask-smorest instantiate a class on every request.
TICKET_CREATE = TicketCreateSchema()


def _etag_data(ticket: Any) -> dict[str, Any]:
    """What a ticket's ETag is computed from (a dict, so flask-smorest dumps no schema):
    it changes with every change of the ticket."""
    return {"id": ticket.id, "version": ticket.version}


def _ticket_response(view: Any, status: int = 200) -> Any:
    tickets_blp.set_etag(_etag_data(view))
    headers = {"Location": f"/api/v1/tickets/{view.id}"} if status == 201 else {}
    return view, status, headers


def _with_suggestions(session: Any, actor: Any, view: SimpleNamespace) -> SimpleNamespace:
    """IT roles see the current model's suggestions on one ticket (never in lists: computing
    them costs about a millisecond per ticket, which a page of 50 would pay 50 times)."""
    if actor.is_it:
        view.suggestions = triage.suggest(session, view.title, view.description)
    return view


@tickets_blp.route("/tickets")
class Tickets(MethodView):
    @roles(*EVERYONE)
    @refuses_some_callers
    @tickets_blp.arguments(TicketListArgs, location="query")
    @tickets_blp.response(200, TicketPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List tickets the caller may see, newest first (filters, full-text ``q``)."""
        session = db_session()
        page = queries.list_tickets(session, current_actor(), **args)
        return {"items": queries.present(session, page.items), "next_cursor": page.next_cursor}

    @roles(*EVERYONE)
    @refuses_some_callers
    @idempotent
    @tickets_blp.etag
    @tickets_blp.arguments(TICKET_CREATE)
    @tickets_blp.response(201, TicketSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """File a ticket; it is numbered, routed, maybe auto-assigned and SLA-timed."""
        session = db_session()
        auto_route = triage.auto_router(current_app.config["SETTINGS"])
        filed = filing.file_ticket(
            session, current_actor(), filing.NewTicket(**data), auto_route=auto_route
        )
        return _ticket_response(queries.view(filed.ticket, filed.sla), 201)


@tickets_blp.route("/tickets/<int:ticket_id>")
class TicketItem(MethodView):
    @roles(*EVERYONE)
    @tickets_blp.etag
    @tickets_blp.response(200, TicketSchema)
    def get(self, ticket_id: int) -> Any:
        """Read a ticket."""
        session = db_session()
        actor = current_actor()
        ticket = queries.get_ticket(session, actor, ticket_id)
        return _ticket_response(
            _with_suggestions(session, actor, queries.present_one(session, ticket))
        )

    @roles(*WORKERS)
    @tickets_blp.etag
    @tickets_blp.arguments(TicketPatchSchema)
    @tickets_blp.response(200, TicketSchema)
    def patch(self, changes: dict[str, Any], ticket_id: int) -> Any:
        """Change a ticket (If-Match required); requesters may only cancel or reopen."""
        session = db_session()
        actor = current_actor()
        ticket = queries.get_ticket(session, actor, ticket_id, for_update=True)
        _require_if_match()
        tickets_blp.check_etag(_etag_data(ticket))
        ticket = services.update_ticket(session, actor, ticket, changes)
        return _ticket_response(
            _with_suggestions(session, actor, queries.present_one(session, ticket))
        )


@tickets_blp.route("/tickets/<int:ticket_id>/comments")
class TicketComments(MethodView):
    @roles(*EVERYONE)
    @tickets_blp.arguments(ListArgs, location="query")
    @tickets_blp.response(200, CommentPageSchema)
    def get(self, args: dict[str, Any], ticket_id: int) -> Any:
        """A ticket's comments, oldest first (internal ones only for the IT unit)."""
        session = db_session()
        actor = current_actor()
        ticket = queries.get_ticket(session, actor, ticket_id)
        return queries.list_comments(session, actor, ticket, **args)

    @roles(*EVERYONE)
    @tickets_blp.arguments(CommentSchema)
    @tickets_blp.response(201, CommentSchema)
    def post(self, data: dict[str, Any], ticket_id: int) -> Any:
        """Comment on a ticket; ``internal`` comments are for the IT unit only."""
        session = db_session()
        actor = current_actor()
        ticket = queries.get_ticket(session, actor, ticket_id, for_update=True)
        return services.add_comment(session, actor, ticket, data["body"], data["internal"])


@tickets_blp.route("/tickets/<int:ticket_id>/history")
class TicketHistory(MethodView):
    @roles(*EVERYONE)
    @tickets_blp.arguments(ListArgs, location="query")
    @tickets_blp.response(200, HistoryPageSchema)
    def get(self, args: dict[str, Any], ticket_id: int) -> Any:
        """Every change of a ticket, oldest first: ``{at, actor, field, old, new}``."""
        session = db_session()
        actor = current_actor()
        ticket = queries.get_ticket(session, actor, ticket_id)
        return queries.list_history(session, actor, ticket, **args)


def _code(queue: Any) -> tuple[str]:
    return (queue.code,)


@routing_blp.route("/queues")
class Queues(MethodView):
    @roles(*IT_ROLES)
    @routing_blp.arguments(ListArgs, location="query")
    @routing_blp.response(200, QueuePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List queues by code, with their agents."""
        session = db_session()
        page = paginate_list(queues.list_queues(session, current_actor()), _code, [str], **args)
        return Page(queues.present_queues(session, page.items), page.next_cursor)

    @roles(Role.ADMIN)
    @routing_blp.arguments(QueueSchema)
    @routing_blp.response(201, QueueSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a queue (admin)."""
        session = db_session()
        queue = queues.create_queue(session, current_actor(), data)
        return queues.present_queues(session, [queue])[0]


@routing_blp.route("/queues/<string:code>")
class QueueItem(MethodView):
    @roles(*IT_ROLES)
    @routing_blp.etag
    @routing_blp.response(200, QueueSchema)
    def get(self, code: str) -> Any:
        """Read a queue."""
        session = db_session()
        return queues.present_queues(session, [queues.get_queue(session, current_actor(), code)])[0]

    @roles(Role.ADMIN)
    @routing_blp.etag
    @routing_blp.arguments(QueuePatchSchema(partial=True))
    @routing_blp.response(200, QueueSchema)
    def patch(self, changes: dict[str, Any], code: str) -> Any:
        """Change a queue (admin): name, sector, auto-assign, agents, default, code."""
        session = db_session()
        actor = current_actor()
        queue = queues.get_queue(session, actor, code, for_update=True)
        routing_blp.check_etag(queues.present_queues(session, [queue])[0], QueueSchema)
        queue = queues.update_queue(session, actor, queue, changes)
        return queues.present_queues(session, [queue])[0]


@routing_blp.route("/routing-rules")
class RoutingRules(MethodView):
    @roles(*IT_ROLES)
    @routing_blp.arguments(ListArgs, location="query")
    @routing_blp.response(200, RoutingRulePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List routing rules in the order they are tried (by position)."""
        rows = rules.list_rules(db_session(), current_actor())
        return paginate_list(rows, lambda r: (r.position, r.id), [int, int], **args)

    @roles(Role.ADMIN)
    @routing_blp.arguments(RoutingRuleSchema)
    @routing_blp.response(201, RoutingRuleSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a routing rule (admin)."""
        return rules.create_rule(db_session(), current_actor(), data)


@routing_blp.route("/routing-rules/<int:rule_id>")
class RoutingRuleItem(MethodView):
    @roles(*IT_ROLES)
    @routing_blp.etag
    @routing_blp.response(200, RoutingRuleSchema)
    def get(self, rule_id: int) -> Any:
        """Read a routing rule."""
        return rules.get_rule(db_session(), current_actor(), rule_id)

    @roles(Role.ADMIN)
    @routing_blp.etag
    @routing_blp.arguments(RoutingRulePatchSchema(partial=True))
    @routing_blp.response(200, RoutingRuleSchema)
    def patch(self, changes: dict[str, Any], rule_id: int) -> Any:
        """Change a routing rule (admin)."""
        session = db_session()
        actor = current_actor()
        rule = rules.get_rule(session, actor, rule_id, for_update=True)
        routing_blp.check_etag(rule, RoutingRuleSchema)
        return rules.update_rule(session, actor, rule, changes)

    @roles(Role.ADMIN)
    @routing_blp.response(204)
    def delete(self, rule_id: int) -> None:
        """Delete a routing rule (admin)."""
        session = db_session()
        actor = current_actor()
        rule = rules.get_rule(session, actor, rule_id, for_update=True)
        rules.delete_rule(session, actor, rule)


@routing_blp.route("/routing-rules/test")
class RoutingTest(MethodView):
    @roles(*IT_ROLES)
    @routing_blp.arguments(RoutingTestSchema)
    @routing_blp.response(200, RoutingDecisionSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Which queue a draft ticket would be routed to; creates nothing."""
        return rules.test_route(db_session(), current_actor(), data)


def blueprints() -> list[Blueprint]:
    """The servicedesk's blueprints; registering them also subscribes to the order and
    outage signals."""
    from servicedesk.attachments.api import blueprints as attachment_blueprints
    from servicedesk.mail.api import blp as mail_blp
    from servicedesk.triage.api import blueprints as triage_blueprints

    fulfilment.connect_signals()
    incidents.connect_signals()
    return [tickets_blp, routing_blp, mail_blp, *attachment_blueprints(), *triage_blueprints()]
