"""Users, tokens and the caller's own record."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.auth import services
from kommune_ikt.auth.schemas import (
    AvailabilitySchema,
    IssuedTokenSchema,
    MeSchema,
    TokenCreateSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
)
from kommune_ikt.web import current_actor, db_session

blp = Blueprint("users", __name__, description="Users, roles and bearer tokens")


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    def get(self) -> Any:
        """List users (admin)."""
        return services.list_users(db_session(), current_actor())

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a user (admin)."""
        return services.create_user(db_session(), current_actor(), **data)


@blp.route("/users/<int:user_id>/tokens")
class UserTokens(MethodView):
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, IssuedTokenSchema)
    def post(self, data: dict[str, Any], user_id: int) -> Any:
        """Issue a bearer token for a user (admin); the token is shown once."""
        issued = services.issue_token(db_session(), current_actor(), user_id, data["name"])
        token = issued.token
        return {**{f: getattr(token, f) for f in TokenSchema.Meta.fields}, "token": issued.secret}


@blp.route("/tokens/<int:token_id>")
class Token(MethodView):
    @blp.response(204)
    def delete(self, token_id: int) -> None:
        """Revoke a token (admin)."""
        services.revoke_token(db_session(), current_actor(), token_id)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self) -> Any:
        """The signed-in user."""
        actor = current_actor()
        return services.get_user(db_session(), actor, actor.user_id)


@blp.route("/me/availability")
class MyAvailability(MethodView):
    @blp.arguments(AvailabilitySchema)
    @blp.response(200, MeSchema)
    def put(self, data: dict[str, Any]) -> Any:
        """Mark yourself available or unavailable for auto-assignment."""
        return services.set_availability(db_session(), current_actor(), data["available"])
