"""Use cases for users and tokens: create, issue, authenticate, revoke."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kommune_ikt import reference
from kommune_ikt.auth.actor import MUNICIPAL_ROLES, Actor, Role
from kommune_ikt.auth.models import ApiToken, User
from kommune_ikt.db import DriverStatement, refuses_writes
from kommune_ikt.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from kommune_ikt.types import utcnow

TOKEN_PREFIX = "kikt_"  # noqa: S105 - a marker, not a secret  # nosec B105
# last_used_at is a hint for admins, not an audit log: writing it on every
# request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    role: str,
    municipality: str | None = None,
    name: str = "",
) -> User:
    """Create a user with one role; municipal roles need a municipality, IT roles none."""
    actor.require(Role.ADMIN)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed("role", f"Unknown role; one of {', '.join(r.value for r in Role)}.")
    if role in MUNICIPAL_ROLES and not municipality:
        raise ValidationFailed("municipality", f"Role {role} belongs to a municipality.")
    if role not in MUNICIPAL_ROLES and municipality:
        raise ValidationFailed("municipality", f"Role {role} belongs to the IT unit, not to one.")
    if municipality is not None:
        # The municipality table belongs to service_catalog, which depends on
        # us, so it is named here rather than imported.
        municipalities = sa.table("municipalities", sa.column("number"))
        found = session.scalar(
            sa.select(municipalities.c.number).where(municipalities.c.number == municipality)
        )
        if found is None:
            raise ValidationFailed("municipality", f"Unknown municipality {municipality}.")
    email = email.strip().lower()
    if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with e-mail {email} exists.", errors={"email": ["Already in use."]})
    user = User(email=email, role=role.value, municipality_number=municipality, name=name)
    session.add(user)
    session.flush()
    return user


def issue_token(session: Session, actor: Actor, user_id: int, name: str = "") -> IssuedToken:
    """A new random token for a user; the secret is returned once and stored only as a hash."""
    actor.require(Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret), prefix=secret[:12])
    session.add(token)
    session.flush()
    return IssuedToken(token=token, secret=secret)


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    actor.require(Role.ADMIN)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("Token not found.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


# Compiled once and sent to the driver directly (kommune_ikt.db.DriverStatement).
_BY_HASH = DriverStatement(
    sa.select(
        ApiToken.id,
        ApiToken.token_hash,
        ApiToken.revoked_at,
        ApiToken.last_used_at,
        User.id.label("user_id"),
        User.role,
        User.municipality_number,
        User.email,
        User.active,
        reference.token_column(),
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == sa.bindparam("wanted"))
)


def authenticate(session: Session, secret: str) -> Actor:
    """The actor behind a bearer token, or NotAuthenticated.

    Every request runs this, so it reads plain columns (no ORM entities) and
    writes only when ``last_used_at`` is older than its resolution. The same
    statement reads the reference token, which the request's use of reference
    data then need not read again (kommune_ikt/reference.py).
    """
    wanted = hash_token(secret)
    row = _BY_HASH.execute(session, {"wanted": wanted}).first()
    # compare_digest keeps the final comparison constant-time; the lookup is by
    # a hash, so timing reveals nothing about the secret itself.
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        raise NotAuthenticated("Unknown or revoked token.")
    if row.revoked_at is not None or not row.active:
        raise NotAuthenticated("Unknown or revoked token.")
    reference.prefetched(session, row.reference_token)
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        _note_use(session, row.id, now)
    return Actor(
        user_id=row.user_id,
        role=Role(row.role),
        municipality=row.municipality_number,
        email=row.email,
    )


def _note_use(session: Session, token_id: int, now: datetime) -> None:
    """Record the token's use, if the database takes writes: a read-only or full database
    must still let callers read (the write is a savepoint that is rolled back then)."""
    try:
        with session.begin_nested():
            session.execute(
                sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            )
    except sa.exc.DBAPIError as exc:
        if refuses_writes(exc) is None:
            raise


def list_users(session: Session, actor: Actor) -> list[User]:
    actor.require(Role.ADMIN)
    return list(session.scalars(sa.select(User).order_by(User.id)))


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or (actor.user_id != user_id and not actor.has(Role.ADMIN)):
        raise NotFound("User not found.")
    return user


def set_availability(session: Session, actor: Actor, available: bool) -> User:
    """An agent marks themselves (un)available for auto-assignment."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound("User not found.")
    user.available = available
    return user
