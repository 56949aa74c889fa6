"""Users, tokens and the caller's own record."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from kommune_ikt.core.auth import services
from kommune_ikt.core.auth.actor import Role
from kommune_ikt.web.edge import current_actor, db_session, roles
from kommune_ikt.web.user_schemas import (
    AvailabilitySchema,
    IssuedTokenSchema,
    MePatchSchema,
    MeSchema,
    TokenCreateSchema,
    TokenPageSchema,
    TokenSchema,
    UserCreateSchema,
    UserListArgs,
    UserPageSchema,
    UserPatchSchema,
    UserSchema,
)

blp = Blueprint("users", __name__, description="Users, roles and bearer tokens")


@blp.route("/users")
class Users(MethodView):
    @roles(Role.ADMIN)
    @blp.arguments(UserListArgs, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List users, newest first (admin)."""
        return services.list_users(db_session(), current_actor(), **args)

    @roles(Role.ADMIN)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a user (admin)."""
        return services.create_user(db_session(), current_actor(), **data)


@blp.route("/users/<int:user_id>")
class UserItem(MethodView):
    @roles(Role.ADMIN)
    @blp.etag
    @blp.response(200, UserSchema)
    def get(self, user_id: int) -> Any:
        """Read one user (admin)."""
        return services.get_user_for_admin(db_session(), current_actor(), user_id)

    @roles(Role.ADMIN)
    @blp.etag
    @blp.arguments(UserPatchSchema)
    @blp.response(200, UserSchema)
    def patch(self, changes: dict[str, Any], user_id: int) -> Any:
        """Change a user (admin); deactivation, role or municipality change revokes all its
        tokens and sessions at once. Needs If-Match."""
        session, actor = db_session(), current_actor()
        user = services.get_user_for_admin(session, actor, user_id, for_update=True)
        blp.check_etag(user, UserSchema)
        return services.update_user(session, actor, user, changes)


@blp.route("/users/<int:user_id>/tokens")
class UserTokens(MethodView):
    @roles(Role.ADMIN)
    @blp.arguments(UserListArgs, location="query")
    @blp.response(200, TokenPageSchema)
    def get(self, args: dict[str, Any], user_id: int) -> Any:
        """A user's tokens, newest first (admin); never the secret."""
        return services.list_tokens(db_session(), current_actor(), user_id, **args)

    @roles(Role.ADMIN)
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, IssuedTokenSchema)
    def post(self, data: dict[str, Any], user_id: int) -> Any:
        """Issue a bearer token for a user (admin); the token is shown once."""
        issued = services.issue_token(db_session(), current_actor(), user_id, data["name"])
        token = issued.token
        return {**{f: getattr(token, f) for f in TokenSchema.Meta.fields}, "token": issued.secret}


@blp.route("/tokens/<int:token_id>")
class Token(MethodView):
    @roles(Role.ADMIN)
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
        return services.get_user(db_session(), actor, actor.user_id)  # type: ignore[arg-type]

    @blp.arguments(MePatchSchema)
    @blp.response(200, MeSchema)
    def patch(self, changes: dict[str, Any]) -> Any:
        """Change your own name or language (``null``: follow the browser)."""
        return services.update_me(db_session(), current_actor(), changes)


@blp.route("/me/availability")
class MyAvailability(MethodView):
    @blp.arguments(AvailabilitySchema)
    @blp.response(200, MeSchema)
    def put(self, data: dict[str, Any]) -> Any:
        """Mark yourself available or unavailable for auto-assignment."""
        return services.set_availability(db_session(), current_actor(), data["available"])
