"""Routing rules as pure logic: criteria and whole-word, æøå-aware keywords."""

import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicedesk.routing import (
    Draft,
    any_keyword_pattern,
    contains_keyword,
    first_match,
    keyword_pattern,
    normalise,
    rule_matches,
)

DRAFT = Draft(
    type="incident",
    title="Feil i journalsystemet",
    description="Fastlegene får ikke åpnet pasientjournalen i DIPS.",
    municipality="1505",
    priority=2,
    service_code="FAGSYS-EPJ",
    category="Helse",
)


@dataclass
class Rule:
    name: str
    match: dict[str, Any] = field(default_factory=dict)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("Skriveren er tom", "skriveren"),
        ("SKRIVEREN er tom", "skriveren"),
        ("Problem med Ålesund-linja", "ålesund"),
        ("problem med ÆØÅ-tegn", "æøå"),
        ("Kan ikke logge på Visma.", "visma"),
        ("VPN-tilkoblingen faller ut", "vpn"),
        ("ny  bruker\ti Public 360", "ny bruker"),
    ],
)
def test_keyword_matches_whole_word_case_insensitively(text, keyword):
    assert contains_keyword(text, keyword)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("Skriverne er tomme", "skriver"),
        ("Nettverksfeil", "nett"),
        ("Bøttene er fulle", "bøtt"),
        ("Kråkeslottet", "kråke"),
        ("Sæter", "sæ"),
    ],
)
def test_keyword_does_not_match_part_of_a_word(text, keyword):
    assert not contains_keyword(text, keyword)


def test_keyword_matches_decomposed_letters():
    decomposed = unicodedata.normalize("NFD", "Tilgang til Ålesund")
    assert contains_keyword(decomposed, "ålesund")


def test_keyword_looks_in_title_and_description():
    assert rule_matches({"keywords": ["dips"]}, DRAFT)
    assert rule_matches({"keywords": ["journalsystemet"]}, DRAFT)


def test_any_one_keyword_is_enough():
    assert rule_matches({"keywords": ["skriver", "dips"]}, DRAFT)


def test_every_criterion_must_hold():
    assert rule_matches({"municipality": "1505", "type": "incident", "priority": 2}, DRAFT)
    assert not rule_matches({"municipality": "1505", "type": "service_request"}, DRAFT)
    assert not rule_matches({"service_code": "M365", "keywords": ["dips"]}, DRAFT)


def test_category_matches_case_insensitively():
    assert rule_matches({"category": "helse"}, DRAFT)
    assert not rule_matches({"category": "skole"}, DRAFT)


def test_missing_optional_field_does_not_match_a_criterion_on_it():
    draft = Draft(type="incident", title="x", description="y", municipality="1505", priority=4)
    assert not rule_matches({"category": "Helse"}, draft)
    assert not rule_matches({"service_code": "FAGSYS-EPJ"}, draft)


def test_empty_match_matches_everything():
    assert rule_matches({}, DRAFT)


def test_first_matching_rule_wins():
    rules = [
        Rule("skole", {"keywords": ["visma flyt skole"]}),
        Rule("helse", {"keywords": ["dips"]}),
        Rule("alt", {}),
    ]
    assert first_match(rules, DRAFT).name == "helse"


def test_no_match_is_none():
    assert first_match([Rule("skole", {"keywords": ["itslearning"]})], DRAFT) is None


def test_unknown_criterion_is_an_error():
    with pytest.raises(ValueError):
        rule_matches({"colour": "blue"}, DRAFT)


WORDS = ["skriver", "skriveren", "bøt", "bøtte", "vpn", "e-post", "dips", "å", "pc"]


@given(
    keywords=st.lists(st.sampled_from([*WORDS, "ikke svar", "dips  arena"]), min_size=1),
    text=st.lists(st.sampled_from([*WORDS, "ikke", "svar", "arena", "-", "ø", " ", "\n"])).map(
        " ".join
    ),
)
def test_one_pattern_per_rule_matches_as_its_keywords_would(keywords, text):
    folded = normalise(text)
    each = any(keyword_pattern(k).search(folded) for k in keywords)
    assert bool(any_keyword_pattern(tuple(keywords)).search(folded)) == each
