"""Domain errors, and their rendering as problem+json (RFC 9457).

Titles and details are English message ids: the edge translates them into the
caller's language (kommune_ikt/web/i18n.py). A detail with values in it is a
template marked with ``N_`` plus ``params`` (``NotFound(N_("User %(id)s not
found."), params={"id": 7})``), so the template, not the filled-in text, is
what the catalogue translates. Domain code needs nothing but this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kommune_ikt.core.messages import N_


def _same(text: str) -> str:
    return text


class DomainError(Exception):
    """Base of every error a service function raises on purpose."""

    status = 400
    title = N_("Bad request")

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        params: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        self.template = detail or self.title
        self.params = params
        self.detail = _fill(self.template, params)
        super().__init__(self.detail)
        self.errors = errors
        self.extra = extra

    def to_problem(self, translate: Callable[[str], str] = _same) -> dict[str, Any]:
        """The problem body, its texts passed through ``translate`` (the caller's language)."""
        errors = (
            {
                field: [_fill(translate(m), self.params) for m in messages]
                for field, messages in self.errors.items()
            }
            if self.errors
            else None
        )
        # Words among the values (what was not found) are translated too; other values
        # (numbers, e-mails, codes) are not in the catalogue and stay as they are.
        params = (
            {k: translate(v) if isinstance(v, str) else v for k, v in self.params.items()}
            if self.params
            else None
        )
        return problem(
            self.status,
            translate(self.title),
            _fill(translate(self.template), params),
            errors=errors,
            **self.extra,
        )


def _fill(template: str, params: dict[str, Any] | None) -> str:
    if not params:
        return template
    try:
        return template % params
    except (KeyError, ValueError, TypeError):
        # A translation that broke its placeholders must not turn an error into a 500.
        return template


class NotAuthenticated(DomainError):
    status = 401
    title = N_("Not authenticated")


class Forbidden(DomainError):
    status = 403
    title = N_("Forbidden")


class NotFound(DomainError):
    status = 404
    title = N_("Not found")


class Conflict(DomainError):
    status = 409
    title = N_("Conflict")


class ValidationFailed(DomainError):
    """Input that parsed but breaks a rule; ``errors`` names the field."""

    status = 422
    title = N_("Validation failed")

    def __init__(self, field: str | None = None, message: str | None = None, **kw: Any) -> None:
        errors = kw.pop("errors", None) or (
            {field: [message or N_("Invalid value.")]} if field else None
        )
        detail = kw.pop("detail", None)
        # The detail names the field ("municipality: ..."); the field name is never translated.
        self.field = field if detail is None and field and message else None
        super().__init__(detail or message, errors=errors, **kw)
        if self.field:
            self.detail = f"{self.field}: {self.detail}"

    def to_problem(self, translate: Callable[[str], str] = _same) -> dict[str, Any]:
        body = super().to_problem(translate)
        if self.field:
            body["detail"] = f"{self.field}: {body['detail']}"
        return body


class PreconditionFailed(DomainError):
    status = 412
    title = N_("Precondition failed")


class ServiceUnavailable(DomainError):
    status = 503
    title = N_("Service unavailable")


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
