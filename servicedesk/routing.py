"""Routing rules as pure logic: does a rule's ``match`` fit a (draft) ticket?

Keywords match whole words, case-insensitively, with æ, ø and å as the
letters they are: "skriver" matches "Skriveren er nede? Skriver!" but not
"skrivertoner"; "Ålesund" matches "ålesund". Text is NFC-normalised first,
so a decomposed "å" (a + ring) matches a composed one.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

MATCH_KEYS = ("service_code", "category", "municipality", "type", "priority", "keywords")


@dataclass(frozen=True)
class Draft:
    """What routing looks at: a ticket, or a draft of one."""

    type: str
    title: str
    description: str
    municipality: str
    priority: int
    service_code: str | None = None
    category: str | None = None


class HasMatch(Protocol):
    @property
    def match(self) -> Mapping[str, Any]: ...


R = TypeVar("R", bound=HasMatch)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _keyword_body(keyword: str) -> str:
    """``keyword`` as a regex body: its words in order, any spacing between them."""
    words = normalise(keyword).split()
    if not words:
        raise ValueError("empty keyword")
    return r"\s+".join(re.escape(w) for w in words)


@functools.lru_cache(maxsize=1024)
def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A regex for ``keyword`` as a whole word (or whole phrase, any spacing)."""
    # \w is Unicode-aware for str patterns, so æ, ø and å are word letters:
    # "bøtte" does not contain the whole word "bøt".
    return re.compile(rf"(?<!\w){_keyword_body(keyword)}(?!\w)")


@functools.lru_cache(maxsize=1024)
def any_keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """One regex matching where any of ``keywords`` matches as ``keyword_pattern`` would:
    one search per rule, and the word boundary checked once per position rather than
    once per keyword (backtracking tries the next keyword where one stops mid-word)."""
    bodies = "|".join(_keyword_body(k) for k in keywords)
    return re.compile(rf"(?<!\w)(?:{bodies})(?!\w)")


def contains_keyword(text: str, keyword: str) -> bool:
    return keyword_pattern(keyword).search(normalise(text)) is not None


def folded_text(draft: Draft) -> str:
    """The draft's title and description as keywords are matched against."""
    return normalise(f"{draft.title}\n{draft.description}")


def rule_matches(match: Mapping[str, Any], draft: Draft, folded: str | None = None) -> bool:
    """Every criterion in ``match`` holds for ``draft`` (keywords: at least one of them).

    ``folded``: ``folded_text(draft)`` if the caller has it (one per draft, not per rule).
    """
    for key, wanted in match.items():
        if wanted is None:
            continue
        if key == "keywords":
            text = folded if folded is not None else folded_text(draft)
            if wanted and not any_keyword_pattern(tuple(wanted)).search(text):
                return False
        elif key == "category":
            if draft.category is None or normalise(draft.category) != normalise(wanted):
                return False
        elif key in ("service_code", "municipality", "type", "priority"):
            if getattr(draft, key) != wanted:
                return False
        else:
            raise ValueError(f"unknown match key {key!r}")
    return True


def first_match(rules: Sequence[R], draft: Draft) -> R | None:
    """The first rule (in the given order: by position) whose match fits, or None."""
    folded = folded_text(draft)
    for rule in rules:
        if rule_matches(rule.match, draft, folded):
            return rule
    return None
