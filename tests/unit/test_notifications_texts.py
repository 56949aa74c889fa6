"""Notification texts: bokmål by default, English on request, never failing on a gap."""

from __future__ import annotations

import pytest

from kommune_ikt.notifications.texts import EVENTS, LANGUAGES, TEXTS, render

CONTEXT = {
    "number": "INC-2026-000042",
    "title": "Skriveren\nstreiker",
    "priority": 2,
    "comment": "Vi har bestilt ny trommel.",
    "resolution": "Byttet trommel.",
    "target": "resolution",
    "due": "2026-03-09T09:00:00+00:00",
}


def test_every_event_has_bokmal_and_english():
    assert all(set(TEXTS[event]) == set(LANGUAGES) for event in EVENTS)


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
