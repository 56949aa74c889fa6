"""Idempotency-Key for POSTs that create: a retry replays the first response, creating nothing."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Response, current_app, request
from sqlmodel import Field, col

from kommune_ikt.core.db import SQLModel
from kommune_ikt.core.errors import Conflict, ValidationFailed
from kommune_ikt.core.messages import N_
from kommune_ikt.core.types import UTCDateTime, utcnow
from kommune_ikt.web.edge import current_actor, db_session

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("ETag", "Location")


class IdempotencyKey(SQLModel, table=True):
    """The first response to a (caller, key) pair."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    key: str = Field(max_length=200)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    request_hash: str = Field(max_length=64)
    # 0 while the first request is still being handled.
    status_code: int = 0
    response_body: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    response_headers: str = Field(default="{}", sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False, index=True)
    )


def request_fingerprint() -> str:
    """A hash of the request body, insensitive to key order and whitespace in JSON."""
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = raw
    return hashlib.sha256(request.method.encode() + b" " + canonical).hexdigest()


def idempotent(view: F) -> F:
    """Honour ``Idempotency-Key`` on a creating POST (place it under ``@roles``).

    Same key, caller and body: the first response again, marked
    ``Idempotent-Replayed: true``. Same key with another body or path: 422.
    The key row is written in the same transaction as what the view creates,
    so a failed request leaves no key behind and may be retried.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        key = key.strip()
        if not key or len(key) > 200:
            raise ValidationFailed(HEADER, N_("Must be 1 to 200 characters."))
        actor = current_actor()
        assert actor.user_id is not None  # requests are signed in as a user
        session = db_session()
        fingerprint = request_fingerprint()
        stmt = sa.select(IdempotencyKey).where(
            col(IdempotencyKey.user_id) == actor.user_id, col(IdempotencyKey.key) == key
        )
        existing = session.scalar(stmt)
        if existing is None:
            record = IdempotencyKey(
                user_id=actor.user_id,
                key=key,
                method=request.method,
                path=request.path,
                request_hash=fingerprint,
            )
            try:
                # A concurrent twin blocks here on the unique index until the
                # first commits, then fails; it replays the first's answer.
                with session.begin_nested():
                    session.add(record)
            except sa.exc.IntegrityError:
                existing = session.scalar(stmt.execution_options(populate_existing=True))
        if existing is not None:
            return _replay(existing, fingerprint)
        response = view(*args, **kwargs)
        if isinstance(response, Response) and response.status_code < 400:
            record.status_code = response.status_code
            record.response_body = response.get_data(as_text=True)
            record.response_headers = json.dumps(
                {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
            )
            session.flush()
        return response

    return wrapper  # type: ignore[return-value]


def _replay(existing: IdempotencyKey, fingerprint: str) -> Response:
    if existing.request_hash != fingerprint or existing.path != request.path:
        raise ValidationFailed(
            HEADER, N_("This key was used for a different request; use a new key.")
        )
    if existing.status_code == 0:
        raise Conflict(N_("The first request with this Idempotency-Key is still running; retry."))
    response = current_app.response_class(
        existing.response_body, status=existing.status_code, mimetype="application/json"
    )
    for name, value in json.loads(existing.response_headers).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response
