"""Orders and subscriptions HTTP API (optional services)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.web.edge import current_actor, db_session, refuses_some_callers, roles
from kommune_ikt.web.idempotency import idempotent
from service_catalog import orders, queries, subscriptions
from service_catalog.schemas.orders import (
    FulfilSchema,
    OrderCreateSchema,
    OrderListArgs,
    OrderPageSchema,
    OrderReasonSchema,
    OrderSchema,
)
from service_catalog.schemas.subscriptions import (
    SubscriptionEditPageSchema,
    SubscriptionListArgs,
    SubscriptionPageSchema,
    SubscriptionPatchSchema,
    SubscriptionSchema,
)

blp = Blueprint("orders", __name__, description="Orders of optional services, and subscriptions")


@blp.route("/orders")
class Orders(MethodView):
    @refuses_some_callers
    @blp.arguments(OrderListArgs, location="query")
    @blp.response(200, OrderPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List orders, newest first (requesters: their own; orderers: their municipality's)."""
        return queries.list_orders(db_session(), current_actor(), **args)

    @refuses_some_callers
    @idempotent
    @blp.arguments(OrderCreateSchema)
    @blp.response(201, OrderSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Order an optional service; an orderer's own order starts approved."""
        return orders.place_order(db_session(), current_actor(), data)


@blp.route("/orders/<int:order_id>")
class OrderItem(MethodView):
    @blp.etag
    @blp.response(200, OrderSchema)
    def get(self, order_id: int) -> Any:
        """Read an order."""
        return orders.get_order(db_session(), current_actor(), order_id)


@blp.route("/orders/<int:order_id>/approve")
class OrderApprove(MethodView):
    @roles(Role.ORDERER)
    @blp.response(200, OrderSchema)
    def post(self, order_id: int) -> Any:
        """Approve a pending order (the municipality's orderer); opens the fulfilment ticket."""
        return orders.approve_order(db_session(), current_actor(), order_id)


@blp.route("/orders/<int:order_id>/reject")
class OrderReject(MethodView):
    @roles(Role.ORDERER)
    @blp.arguments(OrderReasonSchema, required=False)
    @blp.response(200, OrderSchema)
    def post(self, data: dict[str, Any], order_id: int) -> Any:
        """Reject a pending order (the municipality's orderer)."""
        return orders.reject_order(
            db_session(), current_actor(), order_id, (data or {}).get("reason", "")
        )


@blp.route("/orders/<int:order_id>/cancel")
class OrderCancel(MethodView):
    @refuses_some_callers
    @blp.arguments(OrderReasonSchema, required=False)
    @blp.response(200, OrderSchema)
    def post(self, data: dict[str, Any], order_id: int) -> Any:
        """Cancel an order before fulfilment (its creator, the orderer, an agent, admin)."""
        return orders.cancel_order(
            db_session(), current_actor(), order_id, (data or {}).get("reason", "")
        )


@blp.route("/orders/<int:order_id>/fulfil")
class OrderFulfil(MethodView):
    @roles(Role.AGENT)
    @blp.arguments(FulfilSchema)
    @blp.response(200, OrderSchema)
    def post(self, data: dict[str, Any], order_id: int) -> Any:
        """Fulfil an approved order (agent): the subscription starts or grows on start_on."""
        return orders.fulfil_order(db_session(), current_actor(), order_id, data["start_on"])


@blp.route("/subscriptions")
class Subscriptions(MethodView):
    @roles(Role.ORDERER, Role.AGENT)
    @blp.arguments(SubscriptionListArgs, location="query")
    @blp.response(200, SubscriptionPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List subscriptions (orderers: their municipality's; agents, admin: all)."""
        return subscriptions.list_subscription_views(db_session(), current_actor(), **args)


@blp.route("/subscriptions/<int:subscription_id>")
class SubscriptionItem(MethodView):
    @roles(Role.ORDERER, Role.AGENT)
    @blp.etag
    @blp.response(200, SubscriptionSchema)
    def get(self, subscription_id: int) -> Any:
        """Read a subscription with its quantity history."""
        return subscriptions.get_subscription(db_session(), current_actor(), subscription_id)

    @roles(Role.ORDERER, Role.AGENT)
    @blp.etag
    @blp.arguments(SubscriptionPatchSchema)
    @blp.response(200, SubscriptionSchema)
    def patch(self, changes: dict[str, Any], subscription_id: int) -> Any:
        """Change the quantity (from effective_on) or end_on; needs If-Match."""
        session, actor = db_session(), current_actor()
        view = subscriptions.get_subscription(session, actor, subscription_id, for_update=True)
        blp.check_etag(view, SubscriptionSchema)
        return subscriptions.update_subscription(session, actor, view, changes)


@blp.route("/subscriptions/<int:subscription_id>/changes")
class SubscriptionChanges(MethodView):
    @roles(Role.ORDERER, Role.AGENT)
    @blp.response(200, SubscriptionEditPageSchema)
    def get(self, subscription_id: int) -> Any:
        """Every change of a subscription, oldest first: who, when, old and new."""
        return {
            "items": subscriptions.list_edits(db_session(), current_actor(), subscription_id),
            "next_cursor": None,
        }
