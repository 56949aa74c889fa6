"""Flask-Babel at the edge: each request's language, and problem texts in it.

The language of a request is the signed-in user's ``language`` setting, else the
best match of ``Accept-Language``, else ``DEFAULT_LANGUAGE`` (``nb``). Domain code
never imports this module: it marks texts with ``kommune_ikt.core.messages.N_`` and the
edge translates them here (``gettext``), or, outside a request (mail, CSV),
``kommune_ikt.core.messages.translate`` with an explicit language.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, get_locale
from flask_babel import gettext as _gettext

from kommune_ikt.core.messages import (
    ALIASES,
    DEFAULT_LANGUAGE,
    DOMAIN,
    LANGUAGES,
    N_,
    TRANSLATIONS_DIR,
    normalise_language,
)

# What Accept-Language may name, best_match'ed in this order of preference on ties.
_ACCEPTED = (*LANGUAGES, *ALIASES)

# Texts that reach the client from libraries (werkzeug's status names, marshmallow's
# field messages), so that the catalogues carry them and the edge can translate them.
LIBRARY_MESSAGES = (
    N_("Bad Request"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Unsupported Media Type"),
    N_("Precondition Failed"),
    N_("Precondition Required"),
    N_("Request Entity Too Large"),
    N_("Content Too Large"),
    N_("Unprocessable Entity"),
    N_("Too Many Requests"),
    N_("Internal Server Error"),
    N_(
        "The requested URL was not found on the server. If you entered the URL manually "
        "please check your spelling and try again."
    ),
    N_("The method is not allowed for the requested URL."),
    N_("Missing data for required field."),
    N_("Unknown field."),
    N_("Field may not be null."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid email address."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Invalid input type."),
    N_("Invalid value."),
    N_("Invalid JSON body."),
    N_("String does not match expected pattern."),
    N_("At most 2 decimals."),
    N_("Must be greater than or equal to 1 and less than or equal to 200."),
)


def init_i18n(app: Flask) -> None:
    """Flask-Babel for ``app``: our catalogues, our languages, our choice of language."""
    settings = app.config["SETTINGS"]
    default = normalise_language(getattr(settings, "default_language", None)) or DEFAULT_LANGUAGE
    app.config["BABEL_DEFAULT_LOCALE"] = default
    Babel(
        app,
        default_locale=default,
        default_domain=DOMAIN,
        default_translation_directories=str(TRANSLATIONS_DIR),
        locale_selector=select_language,
    )


def select_language() -> str:
    """The request's language: the user's setting, else Accept-Language, else the default."""
    actor = g.get("actor") or g.get("web_actor")
    chosen = normalise_language(getattr(actor, "language", None))
    if chosen:
        return chosen
    if has_request_context():
        best = request.accept_languages.best_match(_ACCEPTED)
        chosen = normalise_language(best)
        if chosen:
            return chosen
    return str(current_app.config.get("BABEL_DEFAULT_LOCALE") or DEFAULT_LANGUAGE)


def current_language() -> str:
    """The language of the current request (the default outside one)."""
    locale = get_locale()
    chosen = normalise_language(str(locale)) if locale is not None else None
    return chosen or DEFAULT_LANGUAGE


def gettext(message: str, **params: Any) -> str:
    """``message`` in the request's language, with ``params`` filled in (``%(name)s``)."""
    return _gettext(message, **params)


def translate_problem(body: dict[str, Any]) -> dict[str, Any]:
    """The problem's title, detail and field messages in the request's language.

    Texts are looked up as they are: a text the catalogue lacks (an English
    detail with values already in it) stays as it is, never an error.
    """
    if not has_request_context():
        return body
    out = dict(body)
    for key in ("title", "detail"):
        if isinstance(out.get(key), str):
            out[key] = _gettext(out[key])
    errors = out.get("errors")
    if isinstance(errors, dict):
        out["errors"] = {
            field: [_gettext(m) if isinstance(m, str) else m for m in messages]
            for field, messages in errors.items()
        }
    return out
