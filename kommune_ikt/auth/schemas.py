"""API schemas for users and tokens."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from kommune_ikt import fields
from kommune_ikt.auth.actor import Role
from kommune_ikt.auth.models import ApiToken, User
from kommune_ikt.messages import LANGUAGES
from kommune_ikt.schemas import AutoSchema, ListArgs, page_schema

LANGUAGE_FIELD_DOC = {
    "description": "Language of the user's texts (problem details, e-mails, CSV headers, "
    "pages): one of nb, nn, sv, en; null follows the browser's Accept-Language, then "
    "the deployment's DEFAULT_LANGUAGE."
}


def language_field(**kwargs: object) -> fields.String:
    return fields.String(
        allow_none=True,
        validate=validate.OneOf(LANGUAGES),
        metadata=LANGUAGE_FIELD_DOC,
        **kwargs,  # type: ignore[arg-type]
    )


class UserSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = User
        fields = (
            "id",
            "email",
            "name",
            "role",
            "municipality",
            "language",
            "active",
            "available",
            "created_at",
            "last_seen_at",
        )
        dump_only = ("id", "created_at", "active", "available", "last_seen_at")

    municipality = fields.String(attribute="municipality_number", allow_none=True)
    language = language_field()


class UserCreateSchema(ma.Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    municipality = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{4}$")
    )
    language = language_field(load_default=None)


class UserPatchSchema(ma.Schema):
    """What an admin may change; deactivation and role or municipality changes sign out."""

    name = fields.String(validate=validate.Length(max=200))
    role = fields.String(validate=validate.OneOf([r.value for r in Role]))
    municipality = fields.String(allow_none=True, validate=validate.Regexp(r"^\d{4}$"))
    language = language_field()
    active = fields.Boolean()


class MePatchSchema(ma.Schema):
    """What users change about themselves."""

    name = fields.String(validate=validate.Length(max=200))
    language = language_field()


UserPageSchema = page_schema(UserSchema, "UserPage")


class TokenSchema(AutoSchema):
    class Meta(AutoSchema.Meta):
        model = ApiToken
        fields: tuple[str, ...] = (
            "id",
            "user_id",
            "name",
            "prefix",
            "created_at",
            "last_used_at",
            "revoked_at",
        )


class IssuedTokenSchema(TokenSchema):
    class Meta(TokenSchema.Meta):
        fields = (*TokenSchema.Meta.fields, "token")

    token = fields.String(
        metadata={"description": "The bearer token. Shown once; only its hash is stored."}
    )


TokenPageSchema = page_schema(TokenSchema, "TokenPage")


class TokenCreateSchema(ma.Schema):
    name = fields.String(load_default="", validate=validate.Length(max=100))


class MeSchema(UserSchema):
    class Meta(UserSchema.Meta):
        pass


UserListArgs = ListArgs


class AvailabilitySchema(ma.Schema):
    available = fields.Boolean(required=True)
