"""The message catalogues: every marked text translated in every language, every .mo current."""

from __future__ import annotations

import gettext
import re

import pytest

from kommune_ikt.catalogues import extract, po_path, read_catalogue
from kommune_ikt.core.messages import LANGUAGES, normalise_language, translate


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    return {message.id for message in extract() if message.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_text_is_in_the_catalogue(language: str, extracted: set[str]) -> None:
    catalogue = read_catalogue(po_path(language), language)
    missing = extracted - {m.id for m in catalogue if m.id}
    assert not missing, f"run python3 dev.py messages, then translate: {sorted(missing)[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_has_a_translation(language: str) -> None:
    catalogue = read_catalogue(po_path(language), language)
    untranslated = [m.id for m in catalogue if m.id and (not m.string or m.fuzzy)]
    assert not untranslated, f"{language} lacks translations for {untranslated[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language: str) -> None:
    catalogue = read_catalogue(po_path(language), language)
    for message in catalogue:
        if message.id and message.string:
            assert sorted(_placeholders(message.id)) == sorted(_placeholders(message.string)), (
                message.id
            )


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language: str) -> None:
    catalogue = read_catalogue(po_path(language), language)
    expected = {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}
    with po_path(language).with_suffix(".mo").open("rb") as fileobj:
        compiled = gettext.GNUTranslations(fileobj)._catalog  # type: ignore[attr-defined]
    compiled = {k: v for k, v in compiled.items() if k}
    assert compiled == expected, "a .po changed without its .mo: run python3 dev.py messages"


def test_translate_uses_the_compiled_catalogue() -> None:
    assert translate("Not found", "nb") == "Ikke funnet"
    assert translate("Not found", "sv") == "Hittades inte"
    assert translate("Not found", "en") == "Not found"


def test_browser_language_tags_map_to_ours() -> None:
    assert normalise_language("nb-NO") == "nb"
    assert normalise_language("no") == "nb"
    assert normalise_language("sv_SE") == "sv"
    assert normalise_language("de") is None


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\([a-z_]+\)s|\{[a-z_]+\}", text)
