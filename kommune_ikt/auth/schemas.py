"""API schemas for users and tokens."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from kommune_ikt.auth.actor import Role
from kommune_ikt.auth.models import ApiToken, User
from kommune_ikt.schemas import AutoSchema


class UserSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = User
        fields = (
            "id",
            "email",
            "name",
            "role",
            "municipality",
            "active",
            "available",
            "created_at",
        )
        dump_only = ("id", "created_at", "active", "available")

    municipality = fields.String(attribute="municipality_number", allow_none=True)


class UserCreateSchema(ma.Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    municipality = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{4}$")
    )


class TokenSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = ApiToken
        fields = ("id", "user_id", "name", "prefix", "created_at", "last_used_at", "revoked_at")


class IssuedTokenSchema(TokenSchema):
    class Meta(TokenSchema.Meta):
        fields = (*TokenSchema.Meta.fields, "token")

    token = fields.String(
        metadata={"description": "The bearer token. Shown once; only its hash is stored."}
    )


class TokenCreateSchema(ma.Schema):
    name = fields.String(load_default="", validate=validate.Length(max=100))


class MeSchema(UserSchema):
    class Meta(UserSchema.Meta):
        pass


class AvailabilitySchema(ma.Schema):
    available = fields.Boolean(required=True)
