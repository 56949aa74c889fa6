"""Language of the pages: Flask-Babel, unless the app has set it up already.

Texts are gettext messages with Bokmål as the source language; ``translations/``
holds the catalogues for nn, sv and en. Dates and amounts go through Babel's
formatters in the user's locale and time zone.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_percent, parse_pattern
from flask import Flask, current_app, request
from flask_babel import Babel, format_date, format_datetime, get_locale

from portal import TRANSLATIONS_DIR

LANGUAGES = ("nb", "nn", "sv", "en")


def _locale() -> str:
    return request.accept_languages.best_match(LANGUAGES) or "nb"


def init(app: Flask) -> None:
    dirs = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        d for d in (str(TRANSLATIONS_DIR), *dirs.split(";")) if d
    )
    if "babel" not in app.extensions:
        Babel(
            app,
            locale_selector=_locale,
            default_locale="nb",
            default_timezone=app.config["SETTINGS"].timezone,
        )
    else:
        # The API's Babel knows no zone (UTC); pages show times in the deployment's.
        app.extensions["babel"].default_timezone = app.config["SETTINGS"].timezone
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["kroner"] = kroner
    app.jinja_env.filters["percent"] = percent


def when(value: datetime | None) -> str:
    """``3. desember 2026 kl. 14.05`` (in the user's language and time zone)."""
    if value is None:
        return ""
    return format_datetime(value, "long" if str(get_locale()) != "nb" else "d. MMMM y 'kl.' HH.mm")


def day(value: date | None) -> str:
    """``3. desember 2026`` (a calendar day, in the user's language)."""
    if value is None:
        return ""
    return format_date(value, "long")


def kroner(value: Decimal | int | None) -> str:
    """``1 234,50 kr`` in Norwegian, the locale's own way elsewhere."""
    if value is None:
        return ""
    locale = str(get_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE", "nb"))
    return format_currency(Decimal(value), "NOK", locale=locale)


def percent(value: Decimal | float | None, digits: int | None = None) -> str:
    """``99,5 %`` in the user's locale (a ratio such as 0.995; a dash for no figure):
    every decimal the value has, or exactly ``digits`` of them."""
    if value is None:
        return "–"
    locale = Locale.parse(str(get_locale() or "nb"))
    if digits is None:
        return format_percent(Decimal(str(value)), locale=locale, decimal_quantization=False)
    pattern = parse_pattern(locale.percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value, locale)
