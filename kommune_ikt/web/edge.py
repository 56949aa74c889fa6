"""The request edge: the session per request, the caller, commits and problem+json."""

from __future__ import annotations

import copy
import functools
import http
import logging
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, json, request
from flask_smorest import Api
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from kommune_ikt.core.auth.actor import Actor, Role
from kommune_ikt.core.auth.services import authenticate
from kommune_ikt.core.db import Database, refuses_writes
from kommune_ikt.core.errors import DomainError, NotAuthenticated, flatten_messages, problem
from kommune_ikt.core.messages import N_
from kommune_ikt.web.fields import NUL, NUL_MESSAGE, unstorable_text
from kommune_ikt.web.i18n import current_language, gettext, translate_problem
from kommune_ikt.web.schemas import ProblemSchema

log = logging.getLogger(__name__)
PROBLEM_MIMETYPE = "application/problem+json"
PUBLIC_PATHS = {"/api/v1/openapi.json"}
F = TypeVar("F", bound=Callable[..., Any])


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """A problem+json response, its texts in the caller's language."""
    response = current_app.response_class(
        json.dumps(translate_problem(body)), status=body["status"], mimetype=PROBLEM_MIMETYPE
    )
    # Say which language the texts are in, and that another Accept-Language may get another.
    response.headers["Content-Language"] = current_language()
    response.vary.add("Accept-Language")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class ProblemApi(Api):
    """flask-smorest's Api with every HTTP error rendered, and documented, as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # flask-smorest documents its error responses as application/json; ours
        # are application/problem+json, and the document must say what we send.
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["content"] = {PROBLEM_MIMETYPE: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "Default error response",
                "content": {PROBLEM_MIMETYPE: {"schema": self.ERROR_SCHEMA}},
            },
            lazy=True,
        )

    def handle_http_exception(self, error: HTTPException) -> Response:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("errors") or data.get("messages")
        errors = flatten_messages(messages) if messages else None
        detail = data.get("message") or error.description
        if errors:
            errors = {k: [gettext(m) for m in v] for k, v in _name_unstorable_keys(errors).items()}
        if status == 400 and errors:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        elif status == 422 and errors:
            detail = invalid_fields(errors)
        elif status == 428:
            detail = N_("This request needs an If-Match header with the resource's current ETag.")
        elif status == 412:
            detail = N_("The resource changed since you read it; fetch it again and retry.")
        title = {422: N_("Validation failed")}.get(status, error.name)
        return problem_response(problem(status, title, detail, errors=errors), data.get("headers"))


def invalid_fields(errors: dict[str, list[str]]) -> str:
    """The detail of a 422: which fields are invalid (in the caller's language)."""
    return gettext("The request has invalid fields: %(fields)s.", fields=", ".join(sorted(errors)))


def database() -> Database:
    return current_app.extensions["kommune_ikt.db"]


def db_session() -> Session:
    """The request's session; the edge commits it once the view succeeded."""
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session


def roles(*allowed: Role) -> Callable[[F], F]:
    """Gate a view to roles (admin always passes); outermost, so 403 comes before 428/422.

    The allowed roles are kept on the view for the role matrix tests, and a view
    some role may not call documents its 403 in the OpenAPI document.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            current_actor().require(*allowed)
            return view(*args, **kwargs)

        wrapper._roles = frozenset(allowed) | {Role.ADMIN}  # type: ignore[attr-defined]
        if wrapper._roles != set(Role):  # type: ignore[attr-defined]
            _document_forbidden(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorator


def refuses_some_callers(view: F) -> F:
    """Document 403 on a view open to every role that still refuses some callers.

    For example a municipal caller filtering on, or ordering for, another
    municipality. Role-gated views get theirs from ``roles``.
    """
    _document_forbidden(view)
    return view


def _document_forbidden(view: Any) -> None:
    """Add 403 (the shared problem+json response) to the view's documented responses.

    flask-smorest keeps a view's documentation in ``_apidoc`` (as its own
    ``alt_response`` does); copied, so the wrapped function's stays as it was.
    """
    view._apidoc = copy.deepcopy(getattr(view, "_apidoc", {}))
    responses = view._apidoc.setdefault("response", {}).setdefault("responses", {})
    responses.setdefault(http.HTTPStatus.FORBIDDEN.value, []).append("FORBIDDEN")


def current_actor() -> Actor:
    actor = g.get("actor")
    if actor is None:
        raise NotAuthenticated(N_("Send Authorization: Bearer <token>."))
    return actor


class FailedAuthLimiter:
    """Counts failed authentications per address in a sliding minute (per process)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, address: str, limit: int) -> bool:
        with self._lock:
            window = self._trim(address)
            return len(window) >= limit

    def record(self, address: str) -> None:
        with self._lock:
            self._trim(address).append(time.monotonic())

    def _trim(self, address: str) -> deque[float]:
        window = self._failures[address]
        cutoff = time.monotonic() - 60
        while window and window[0] < cutoff:
            window.popleft()
        return window


# No request of this API nests deeper; Python's JSON parser (and anything that
# walks the result) would otherwise hit its recursion limit: a 500.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def _refuse_unstorable_input() -> Response | None:
    """Refuse, before any view, what no view could take: NUL in the path or query, deep JSON.

    What a JSON body holds is refused by the schema's fields (``kommune_ikt.web.fields``:
    NUL, lone surrogates, integers past 32 bits), each naming its field. Query
    parameters are checked here too, because a view may read one no schema names.
    """
    if NUL in request.path:
        return problem_response(problem(404, N_("Not found"), N_("No such resource.")))
    errors = {
        name or "query": [NUL_MESSAGE]
        for name, value in request.args.items(multi=True)
        if NUL in name or NUL in value
    }
    # Only JSON bodies are measured (get_json reads nothing else); an upload's
    # multipart body is left to its own size limit instead of being read here.
    body = request.get_data(cache=True) if request.is_json else b""
    if _json_depth(body) > MAX_JSON_DEPTH:
        detail = f"body: JSON nested deeper than {MAX_JSON_DEPTH} levels."
        errors = {"body": [f"Nested deeper than {MAX_JSON_DEPTH} levels."]}
        return problem_response(problem(400, "Bad request", detail, errors=errors))
    if not errors:
        return None
    return problem_response(
        problem(422, N_("Validation failed"), invalid_fields(errors), errors=errors)
    )


def _json_depth(body: bytes) -> int:
    """How deep a JSON document nests (0 when it cannot be deeper than the limit)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b"", body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def _name_unstorable_keys(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Errors about a key no column could store name the object holding it, not the key.

    An unknown key holding NUL or a lone surrogate is marshmallow's "Unknown
    field." under that key; say what is wrong with it, under the object's path
    ("body" for the top level), as for any other text.
    """
    named: dict[str, list[str]] = {}
    for path, messages in errors.items():
        parts = path.split(".")
        bad = next((i for i, part in enumerate(parts) if unstorable_text(part)), None)
        if bad is None:
            named.setdefault(path, []).extend(messages)
            continue
        holder = ".".join(parts[:bad]) or "body"
        for message in unstorable_text(parts[bad]):
            if message not in named.get(holder, []):
                named.setdefault(holder, []).append(message)
    return named


def init_edge(app: Flask) -> None:
    """Register authentication, commit/rollback and the error handlers."""
    limiter = FailedAuthLimiter()
    app.extensions["kommune_ikt.auth_limiter"] = limiter

    @app.before_request
    def _authenticate() -> Response | None:
        if not request.path.startswith("/api/v1/") or request.path in PUBLIC_PATHS:
            return None
        address = request.remote_addr or "unknown"
        limit = app.config["SETTINGS"].auth_failures_per_minute
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return problem_response(
                problem(401, N_("Not authenticated"), N_("Send Authorization: Bearer <token>.")),
                {"WWW-Authenticate": "Bearer"},
            )
        if limiter.blocked(address, limit):
            return problem_response(
                problem(429, N_("Too many requests"), N_("Too many failed authentications; wait.")),
                {"Retry-After": "60"},
            )
        try:
            g.actor = authenticate(db_session(), secret.strip())
        except NotAuthenticated as exc:
            limiter.record(address)
            # For the operator (and fail2ban-like tools); never the token, not even its prefix.
            log.warning(
                "failed bearer authentication from %s on %s %s",
                address,
                request.method,
                request.path,
            )
            if limiter.blocked(address, limit):
                log.warning("%s refused for a minute: %d failed authentications", address, limit)
            return problem_response(exc.to_problem(gettext), {"WWW-Authenticate": "Bearer"})
        return _refuse_unstorable_input()

    @app.after_request
    def _finish(response: Response) -> Response:
        session: Session | None = g.pop("db_session", None)
        if session is None:
            return response
        try:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        except sa.exc.IntegrityError as exc:
            session.rollback()
            log.info("integrity error at commit: %s", exc.orig)
            return problem_response(
                problem(409, N_("Conflict"), N_("The change conflicts with existing data."))
            )
        except sa.exc.DBAPIError as exc:
            session.rollback()
            return _database_problem(exc)
        finally:
            session.close()
        return response

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError) -> Response:
        return problem_response(exc.to_problem(gettext))

    @app.errorhandler(sa.exc.IntegrityError)
    def _integrity_error(exc: sa.exc.IntegrityError) -> Response:
        log.info("integrity error: %s", exc.orig)
        return problem_response(
            problem(409, "Conflict", "The change conflicts with existing data.")
        )

    @app.errorhandler(sa.exc.DBAPIError)
    def _dbapi_error(exc: sa.exc.DBAPIError) -> Response:
        return _database_problem(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return app.extensions["kommune_ikt.api"].handle_http_exception(exc)
        log.exception("unhandled error")
        return problem_response(
            problem(500, N_("Internal server error"), N_("Something broke on our side."))
        )


# Why the database cannot take a request, as the client is told (503 with Retry-After).
UNAVAILABLE = {
    "full": N_(
        "The database's disk is full: nothing can be saved until an operator frees "
        "space. Reading still works."
    ),
    "read_only": N_(
        "The database is read-only at the moment: nothing can be saved. Reading still works."
    ),
    "cannot_open": N_(
        "The database file cannot be opened (is its disk read-only or gone?); "
        "an operator must look at it."
    ),
    "down": N_("The database is not answering; retry shortly."),
}


def _unavailable_reason(exc: sa.exc.DBAPIError) -> str | None:
    """Why the database cannot serve (a key of UNAVAILABLE); None for our own bugs (500)."""
    refused = refuses_writes(exc)
    if refused is not None:
        return refused
    if (getattr(exc.orig, "sqlite_errorname", None) or "").startswith("SQLITE_CANTOPEN"):
        return "cannot_open"
    if exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError):
        return "down"
    return None


def _database_problem(exc: sa.exc.DBAPIError) -> Response:
    """503 while the database is unreachable, locked, full or read-only; other errors are 500."""
    reason = _unavailable_reason(exc)
    if reason is not None:
        log.warning("database unavailable (%s): %s", reason, exc.orig)
        return problem_response(
            problem(503, N_("Service unavailable"), UNAVAILABLE[reason]), {"Retry-After": "5"}
        )
    log.exception("database error")
    return problem_response(
        problem(500, N_("Internal server error"), N_("Something broke on our side."))
    )
