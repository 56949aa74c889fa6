"""Notification texts: bokmål by default, nn, sv and en on request, never failing on a gap."""

from __future__ import annotations

import pytest

from notifications.texts import EVENTS, LANGUAGES, TEXTS, render

CONTEXT = {
    "number": "INC-2026-000042",
    "title": "Skriveren\nstreiker",
    "priority": 2,
    "comment": "Vi har bestilt ny trommel.",
    "resolution": "Byttet trommel.",
    "target": "resolution",
    "due": "2026-03-09T09:00:00+00:00",
}


def test_every_event_is_translated_into_every_language():
    assert set(TEXTS) == EVENTS
    for event in EVENTS:
        english = render(event, "en", CONTEXT)
        others = {language: render(event, language, CONTEXT) for language in ("nb", "nn", "sv")}
        assert all(text != english for text in others.values()), event
        assert len({*others.values()}) == 3, event


def test_swedish_and_nynorsk_texts():
    _subject, body = render("sla_warning", "sv", CONTEXT)
    assert "lösningstiden" in body
    subject, _body = render("ticket_resolved", "nn", CONTEXT)
    assert subject.startswith("[INC-2026-000042] Saka er løyst")


@pytest.mark.parametrize("event", sorted(EVENTS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_renders_with_a_one_line_subject(event, language):
    subject, body = render(event, language, CONTEXT)
    assert "INC-2026-000042" in subject and "\n" not in subject
    assert "{" not in subject + body


def test_bokmal_is_the_default_for_an_unknown_language():
    assert render("ticket_resolved", "de", CONTEXT) == render("ticket_resolved", "nb", CONTEXT)


def test_due_is_shown_in_oslo_time():
    # 09:00 UTC on 9 March is 10:00 in Oslo (winter time).
    _subject, body = render("sla_breach", "nb", CONTEXT)
    assert "Fristen var 09.03.2026 10:00." in body
    assert "løsningstiden" in body


def test_missing_values_render_empty_rather_than_failing():
    subject, _body = render("ticket_created", "en", {})
    assert subject == "[] We have received your ticket:"
