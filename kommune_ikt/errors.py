"""Domain errors, and their rendering as problem+json (RFC 9457)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service function raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
        return problem(self.status, self.title, self.detail, errors=self.errors, **self.extra)


class NotAuthenticated(DomainError):
    status = 401
    title = "Not authenticated"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class ValidationFailed(DomainError):
    """Input that parsed but breaks a rule; ``errors`` names the field."""

    status = 422
    title = "Validation failed"

    def __init__(self, field: str | None = None, message: str | None = None, **kw: Any) -> None:
        errors = kw.pop("errors", None) or (
            {field: [message or "Invalid value."]} if field else None
        )
        detail = kw.pop("detail", None) or (f"{field}: {message}" if field else message)
        super().__init__(detail, errors=errors, **kw)


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"


class ServiceUnavailable(DomainError):
    status = 503
    title = "Service unavailable"


PROBLEM_TYPES = {
    400: "bad-request",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    428: "precondition-required",
    429: "too-many-requests",
    500: "internal-error",
    503: "service-unavailable",
}


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    errors: dict[str, list[str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A problem+json body."""
    body: dict[str, Any] = {
        "type": f"https://kommune-ikt.example/problems/{PROBLEM_TYPES.get(status, 'error')}",
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


REQUEST_LOCATIONS = {"json", "query", "querystring", "headers", "view_args", "form", "files"}


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into ``{"a.b": ["..."]}``.

    The request location (``json``, ``query``...) is dropped, so a field reads
    as its own name.
    """
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key)
            if not prefix and name in REQUEST_LOCATIONS:
                # A message about the location as a whole ("Invalid JSON body.")
                # names the location; field messages name the field.
                child = "" if isinstance(value, dict) else ("body" if name == "json" else name)
            else:
                child = f"{prefix}.{name}" if prefix else name
            for field, msgs in flatten_messages(value, child).items():
                out.setdefault(field, []).extend(msgs)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out.setdefault(prefix or "_schema", []).extend(messages)
        else:
            for item in messages:
                for field, msgs in flatten_messages(item, prefix).items():
                    out.setdefault(field, []).extend(msgs)
    else:
        out.setdefault(prefix or "_schema", []).append(str(messages))
    return out
