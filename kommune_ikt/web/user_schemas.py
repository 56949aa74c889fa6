"""API schemas for users and tokens."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from marshmallow_sqlalchemy import auto_field

from kommune_ikt.core.auth.actor import Role
from kommune_ikt.core.auth.models import ApiToken, User
from kommune_ikt.core.messages import LANGUAGES
from kommune_ikt.web import fields
from kommune_ikt.web.schemas import AutoSchema, ListArgs, page_schema

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


class UserFieldsSchema(AutoSchema):
    """What may be written of a user, each field once, derived from the model."""

    class Meta(AutoSchema.Meta):
        model = User
        fields: tuple[str, ...] = ()

    email = auto_field(field_class=fields.Email)
    role = auto_field(validate=validate.OneOf([r.value for r in Role]))
    # The loaded dict keeps the API's name; the services take ``municipality``.
    municipality = auto_field(
        "municipality_number", attribute="municipality", validate=validate.Regexp(r"^\d{4}$")
    )
    language = auto_field(validate=validate.OneOf(LANGUAGES), metadata=LANGUAGE_FIELD_DOC)


class UserCreateSchema(UserFieldsSchema):
    class Meta(UserFieldsSchema.Meta):
        fields = ("email", "name", "role", "municipality", "language")
        required = ("email", "role")
        load_defaults = {"name": "", "municipality": None, "language": None}


class UserPatchSchema(UserFieldsSchema):
    """What an admin may change; deactivation and role or municipality changes sign out."""

    class Meta(UserFieldsSchema.Meta):
        fields = ("name", "role", "municipality", "language", "active")
        required = ()


class MePatchSchema(UserFieldsSchema):
    """What users change about themselves."""

    class Meta(UserFieldsSchema.Meta):
        fields = ("name", "language")
        required = ()


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
