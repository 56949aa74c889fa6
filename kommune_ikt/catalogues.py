"""Re-extract the translatable texts into the catalogues and compile them (a developer's tool).

``python3 dev.py messages`` runs this from the source tree: it extracts every
marked text (babel.cfg), merges it into ``kommune_ikt/translations/<lang>/
LC_MESSAGES/messages.po`` (new texts arrive untranslated; texts no longer in the
code are dropped), fills the English catalogue from the English message ids, and
compiles every ``.po`` to its ``.mo``. Translate the empty ``msgstr`` of nb, nn and
sv, then run it again: tests/unit/test_translations.py fails until every text has
a translation in every language and every ``.mo`` matches its ``.po``.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from kommune_ikt.core.messages import DOMAIN, LANGUAGES, TRANSLATIONS_DIR

ROOT = TRANSLATIONS_DIR.parents[1]
MAPPING = ROOT / "babel.cfg"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}  # _l: lazy_gettext
# The language the message ids are written in: its catalogue is filled from them.
# The web pages' texts (portal/) are written in Bokmål, everything else in English.
SOURCE_LANGUAGE = "en"
PAGES_SOURCE_LANGUAGE = "nb"


def source_language(locations: list[tuple[str, int]]) -> str:
    if locations and all(str(f).startswith("portal") for f, _ in locations):
        return PAGES_SOURCE_LANGUAGE
    return SOURCE_LANGUAGE


def po_path(language: str) -> Path:
    return TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every marked text of the source tree, as a template catalogue."""
    with MAPPING.open() as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, str(MAPPING))
    template = Catalog(project="kommune-ikt", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read_catalogue(path: Path, language: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN, project="kommune-ikt", fuzzy=False)
    with path.open("rb") as fileobj:
        return read_po(fileobj, locale=language, domain=DOMAIN)


def update(template: Catalog) -> None:
    """Merge ``template`` into each language's .po (exact matches only, nothing obsolete kept)."""
    for language in LANGUAGES:
        path = po_path(language)
        catalogue = read_catalogue(path, language)
        # A copy each: Catalog.update adopts the template's new Message objects, so filling
        # the source language's strings below would otherwise fill every later language too.
        catalogue.update(
            copy.deepcopy(template),
            no_fuzzy_matching=True,
            update_header_comment=False,
            update_creation_date=False,  # a stable header: no merge conflict on every run
        )
        catalogue.obsolete.clear()
        for message in catalogue:
            if not message.id or message.string:
                continue
            origin = template.get(message.id, message.context)
            if origin is not None and source_language(origin.locations) == language:
                message.string = message.id
                message.flags.discard("fuzzy")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fileobj:
            write_po(
                fileobj,
                catalogue,
                width=100,
                no_location=True,
                sort_output=True,
                ignore_obsolete=True,
                include_previous=False,
            )


def compile_all() -> None:
    """Each .po to its .mo (fuzzy translations left out)."""
    for language in LANGUAGES:
        path = po_path(language)
        catalogue = read_catalogue(path, language)
        with path.with_suffix(".mo").open("wb") as fileobj:
            write_mo(fileobj, catalogue, use_fuzzy=False)


def main(argv: list[str]) -> int:
    if "--compile-only" not in argv:
        update(extract())
    compile_all()
    for language in LANGUAGES:
        catalogue = read_catalogue(po_path(language), language)
        missing = [m.id for m in catalogue if m.id and (not m.string or m.fuzzy)]
        print(f"{language}: {len(catalogue)} texts, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
