"""E-mail texts per event, in the recipient's language (nb by default, nn, sv, en). Pure.

The texts are English message ids marked with ``N_``; the catalogues in
kommune_ikt/translations hold them in every language (``python3 dev.py messages``).
Placeholders are ``{name}``: a missing value renders as "" rather than failing the send.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from kommune_ikt.core.messages import DEFAULT_LANGUAGE, LANGUAGES, N_, translator

__all__ = ["DEFAULT_LANGUAGE", "EVENTS", "LANGUAGES", "TEXTS", "render"]

# event -> (subject, body), English message ids.
TEXTS: dict[str, tuple[str, str]] = {
    "ticket_created": (
        N_("[{number}] We have received your ticket: {title}"),
        N_(
            "Hello,\n\nyour ticket is registered as {number} with priority {priority}.\n"
            "Title: {title}\n\nWe will let you know when something happens.\n\n"
            "Kind regards\nThe servicedesk"
        ),
    ),
    "ticket_assigned": (
        N_("[{number}] Assigned to you: {title}"),
        N_("Ticket {number} (priority {priority}) is assigned to you.\nTitle: {title}\n"),
    ),
    "ticket_commented": (
        N_("[{number}] New comment: {title}"),
        N_("There is a new comment on ticket {number}:\n\n{comment}\n"),
    ),
    "ticket_resolved": (
        N_("[{number}] Your ticket is resolved: {title}"),
        N_(
            "Hello,\n\nticket {number} is resolved.\n\n{resolution}\n\n"
            "If you are not satisfied, you may reopen it within 14 days.\n\n"
            "Kind regards\nThe servicedesk"
        ),
    ),
    "sla_warning": (
        N_("[{number}] SLA warning: 75 percent of the {target_name} used"),
        N_(
            "Ticket {number} (priority {priority}) has used 75 percent of its {target_name}.\n"
            "Due: {due}\nTitle: {title}\n"
        ),
    ),
    "sla_breach": (
        N_("[{number}] SLA breached: {target_name} exceeded"),
        N_(
            "Ticket {number} (priority {priority}) has exceeded its {target_name}.\n"
            "It was due {due}.\nTitle: {title}\n"
        ),
    ),
}
TARGET_NAMES = {"response": N_("response time"), "resolution": N_("resolution time")}
EVENTS = frozenset(TEXTS)
DISPLAY_ZONE = ZoneInfo("Europe/Oslo")


def _local_time(text: str) -> str:
    """An instant (ISO text; naive means UTC, as SQLite keeps it) as Oslo wall time."""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return text
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(DISPLAY_ZONE).strftime("%d.%m.%Y %H:%M")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render(event: str, language: str | None, context: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and body of ``event`` in ``language`` (bokmål when unknown)."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    gettext = translator(language)
    subject, body = (gettext(text) for text in TEXTS[event])
    values = _Blank({k: "" if v is None else v for k, v in context.items()})
    if values.get("due"):
        values["due"] = _local_time(str(values["due"]))
    if "target" in values:
        target = values["target"]
        values["target_name"] = gettext(TARGET_NAMES[target]) if target in TARGET_NAMES else target
    formatter = Formatter()
    # Subjects are one line whatever a title contains.
    rendered_subject = formatter.vformat(subject, (), values).replace("\n", " ").strip()
    return rendered_subject[:300], formatter.vformat(body, (), values)
