"""Use cases for users and tokens: create, change, offboard, issue, authenticate, revoke."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt import reference
from kommune_ikt.auth.actor import MUNICIPAL_ROLES, Actor, Role
from kommune_ikt.auth.models import ApiToken, User
from kommune_ikt.db import DriverStatement, refuses_writes
from kommune_ikt.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from kommune_ikt.messages import LANGUAGES, N_
from kommune_ikt.pagination import DEFAULT_LIMIT, Page, paginate
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
    language: str | None = None,
) -> User:
    """Create a user with one role; municipal roles need a municipality, IT roles none."""
    actor.require(Role.ADMIN)
    role = _check_role(role)
    _check_municipality(session, role, municipality)
    _check_language(language)
    email = email.strip().lower()
    if session.scalar(sa.select(col(User.id)).where(col(User.email) == email)) is not None:
        raise Conflict(
            N_("A user with e-mail %(email)s exists."),
            params={"email": email},
            errors={"email": [N_("Already in use.")]},
        )
    user = User(
        email=email,
        role=role.value,
        municipality_number=municipality,
        name=name,
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationFailed(
            "role",
            N_("Unknown role; one of %(roles)s."),
            params={"roles": ", ".join(r.value for r in Role)},
        )


def _check_municipality(session: Session, role: Role, municipality: str | None) -> None:
    if role in MUNICIPAL_ROLES and not municipality:
        raise ValidationFailed(
            "municipality", N_("Role %(role)s belongs to a municipality."), params={"role": role}
        )
    if role not in MUNICIPAL_ROLES and municipality:
        raise ValidationFailed(
            "municipality",
            N_("Role %(role)s belongs to the IT unit, not to a municipality."),
            params={"role": role},
        )
    if municipality is not None:
        # The municipality table belongs to service_catalog, which depends on
        # us, so it is named here rather than imported.
        municipalities = sa.table("municipalities", sa.column("number"))
        found = session.scalar(
            sa.select(municipalities.c.number).where(municipalities.c.number == municipality)
        )
        if found is None:
            raise ValidationFailed(
                "municipality",
                N_("Unknown municipality %(number)s."),
                params={"number": municipality},
            )


def _check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed(
            "language",
            N_("Unknown language; one of %(languages)s, or null."),
            params={"languages": ", ".join(LANGUAGES)},
        )


def get_user_for_admin(
    session: Session, actor: Actor, user_id: int, *, for_update: bool = False
) -> User:
    """One user (admin)."""
    actor.require(Role.ADMIN)
    user = session.get(User, user_id, with_for_update=for_update)
    if user is None:
        raise NotFound(N_("User not found."))
    return user


# Changing any of these ends everything the user is signed in with.
REVOKING_CHANGES = ("role", "municipality_number", "active")


def update_user(session: Session, actor: Actor, user: User, changes: dict[str, Any]) -> User:
    """Change a user (admin): name, role, municipality, language, active.

    Deactivation, or a change of role or municipality, revokes all the user's
    tokens and web sessions at once (``revoke_sessions``): what they were
    granted was granted to the old role and municipality.
    """
    actor.require(Role.ADMIN)
    changes = dict(changes)
    if "municipality" in changes:
        changes["municipality_number"] = changes.pop("municipality")
    role = _check_role(changes.get("role", user.role))
    municipality = changes.get("municipality_number", user.municipality_number)
    if "role" in changes or "municipality_number" in changes:
        _check_municipality(session, role, municipality)
    if "language" in changes:
        _check_language(changes["language"])
    active = changes.get("active", user.active)
    if user.role == Role.ADMIN and user.active and (role != Role.ADMIN or not active):
        _keep_an_admin(session, user)
    revoke = any(
        name in changes and changes[name] != getattr(user, name) for name in REVOKING_CHANGES
    )
    if "role" in changes:
        changes["role"] = role.value
    for name in ("name", "role", "municipality_number", "language", "active"):
        if name in changes:
            setattr(user, name, changes[name])
    if revoke:
        revoke_sessions(session, user.id)  # type: ignore[arg-type]
    session.flush()
    return user


def _keep_an_admin(session: Session, user: User) -> None:
    others = session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(
            col(User.role) == Role.ADMIN.value, col(User.active).is_(True), col(User.id) != user.id
        )
    )
    if not others:
        raise Conflict(
            N_("This is the last active admin; make another admin first."),
            errors={"role": [N_("The deployment needs an active admin.")]},
        )


def deactivate_user(session: Session, actor: Actor, email: str) -> User:
    """Deactivate the user with ``email`` and revoke everything they are signed in with."""
    actor.require(Role.ADMIN)
    user = session.scalar(sa.select(User).where(col(User.email) == email.strip().lower()))
    if user is None:
        raise NotFound(N_("No user with e-mail %(email)s."), params={"email": email})
    return update_user(session, actor, user, {"active": False})


def revoke_sessions(session: Session, user_id: int, *, now: datetime | None = None) -> int:
    """End everything ``user_id`` is signed in with, at once; the number of tokens revoked.

    Today that is every unrevoked bearer token. The web interface's sessions
    join here (revoke its rows for ``user_id`` in this same function), so that
    deactivation and role or municipality changes end them too; the request
    that authenticates next is refused because its token or session is revoked.
    """
    result = session.execute(
        sa.update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML gives a CursorResult


def update_me(session: Session, actor: Actor, changes: dict[str, Any]) -> User:
    """The signed-in user changes their own ``name`` or ``language``."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound(N_("User not found."))
    if "language" in changes:
        _check_language(changes["language"])
        user.language = changes["language"]
    if "name" in changes:
        user.name = changes["name"]
    session.flush()
    return user


def list_tokens(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[ApiToken]:
    """A user's tokens, newest first (admin); never the secret, which is not stored."""
    get_user_for_admin(session, actor, user_id)
    stmt = sa.select(ApiToken).where(col(ApiToken.user_id) == user_id)
    return paginate(session, stmt, [ApiToken.id], limit=limit, cursor=cursor, kinds=[int])


def issue_token(session: Session, actor: Actor, user_id: int, name: str = "") -> IssuedToken:
    """A new random token for a user; the secret is returned once and stored only as a hash."""
    actor.require(Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("User not found."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, name=name, token_hash=hash_token(secret), prefix=secret[:12])
    session.add(token)
    session.flush()
    return IssuedToken(token=token, secret=secret)


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    actor.require(Role.ADMIN)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(N_("Token not found."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


# Compiled once and sent to the driver directly (kommune_ikt.db.DriverStatement).
_BY_HASH = DriverStatement(
    sa.select(
        col(ApiToken.id),
        col(ApiToken.token_hash),
        col(ApiToken.revoked_at),
        col(ApiToken.last_used_at),
        col(User.id).label("user_id"),
        col(User.role),
        col(User.municipality_number),
        col(User.email),
        col(User.active),
        col(User.language),
        col(User.last_seen_at),
        reference.token_column(),
    )
    .join(User, col(User.id) == col(ApiToken.user_id))
    .where(col(ApiToken.token_hash) == sa.bindparam("wanted"))
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
        raise NotAuthenticated(N_("Unknown or revoked token."))
    if row.revoked_at is not None or not row.active:
        raise NotAuthenticated(N_("Unknown or revoked token."))
    reference.prefetched(session, row.reference_token)
    now = utcnow()
    token_stale = row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION
    user_stale = row.last_seen_at is None or now - row.last_seen_at > LAST_USED_RESOLUTION
    if token_stale or user_stale:
        _note_use(
            session, row.id if token_stale else None, row.user_id if user_stale else None, now
        )
    return Actor(
        user_id=row.user_id,
        role=Role(row.role),
        municipality=row.municipality_number,
        email=row.email,
        language=row.language,
    )


def _note_use(session: Session, token_id: int | None, user_id: int | None, now: datetime) -> None:
    """Record the token's use and the user's, if the database takes writes: a read-only or
    full database must still let callers read (the write is a savepoint rolled back then)."""
    try:
        with session.begin_nested():
            if token_id is not None:
                session.execute(
                    sa.update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=now)
                )
            if user_id is not None:
                session.execute(
                    sa.update(User).where(col(User.id) == user_id).values(last_seen_at=now)
                )
    except sa.exc.DBAPIError as exc:
        if refuses_writes(exc) is None:
            raise


def list_users(
    session: Session, actor: Actor, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> Page[User]:
    """Users, newest first (admin)."""
    actor.require(Role.ADMIN)
    return paginate(session, sa.select(User), [User.id], limit=limit, cursor=cursor, kinds=[int])


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or (actor.user_id != user_id and not actor.has(Role.ADMIN)):
        raise NotFound(N_("User not found."))
    return user


def set_availability(session: Session, actor: Actor, available: bool) -> User:
    """An agent marks themselves (un)available for auto-assignment."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound(N_("User not found."))
    user.available = available
    return user


def user_names(session: Session, user_ids: list[int | None]) -> dict[int, str]:
    """``{id: name}`` (the e-mail when no name is set), in one query: who placed or
    approved the objects a caller may already see (an order, a ticket)."""
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(
        sa.select(col(User.id), col(User.name), col(User.email)).where(col(User.id).in_(ids))
    )
    return {uid: name or email for uid, name, email in rows if uid is not None}
