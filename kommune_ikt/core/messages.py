"""The service's languages and message catalogues, without Flask (mail, CSV, CLI, domain errors).

Messages are written in English in the code and marked for extraction with ``N_``
(or ``_``/``gettext`` at the edge); ``kommune_ikt/translations/<lang>/LC_MESSAGES/
messages.po`` hold the translations, compiled to ``.mo`` (``python3 dev.py
messages`` re-extracts and compiles). Placeholders are ``%(name)s``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

LANGUAGES = ("nb", "nn", "sv", "en")
DEFAULT_LANGUAGE = "nb"
TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"
DOMAIN = "messages"
# What browsers and people also call our languages ("no" is Norwegian, written bokmål).
ALIASES = {"no": "nb", "nob": "nb", "nno": "nn", "swe": "sv", "eng": "en"}


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, where the language is known."""
    return message


def normalise_language(value: str | None) -> str | None:
    """``"nb-NO"`` → ``"nb"``, ``"no"`` → ``"nb"``; None for a language we do not speak."""
    if not value:
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    primary = ALIASES.get(primary, primary)
    return primary if primary in LANGUAGES else None


@lru_cache(maxsize=len(LANGUAGES) + 1)
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of ``language`` (an empty one for a language we lack)."""
    if language not in LANGUAGES:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [language], DOMAIN)


def translate(message: str, language: str | None, params: dict[str, Any] | None = None) -> str:
    """``message`` in ``language`` (English text when it has no translation), filled in."""
    text = translations(language or DEFAULT_LANGUAGE).gettext(message)
    return text % params if params else text


def translator(language: str | None) -> Any:
    """A ``gettext``-like callable for ``language``, for code that translates many texts."""
    catalogue = translations(language or DEFAULT_LANGUAGE)
    return catalogue.gettext
