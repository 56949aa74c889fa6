"""E-mail texts per event, in Norwegian bokmål (the default) and English. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

LANGUAGES = ("nb", "en")
DEFAULT_LANGUAGE = "nb"

# event -> language -> (subject, body). Placeholders name context keys; a
# missing key renders as "" rather than failing the send.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "ticket_created": {
        "nb": (
            "[{number}] Vi har mottatt saken din: {title}",
            "Hei,\n\nvi har registrert saken din som {number} med prioritet {priority}.\n"
            "Tittel: {title}\n\nDu får beskjed når noe skjer i saken.\n\n"
            "Vennlig hilsen\nServicedesken",
        ),
        "en": (
            "[{number}] We have received your ticket: {title}",
            "Hello,\n\nyour ticket is registered as {number} with priority {priority}.\n"
            "Title: {title}\n\nWe will let you know when something happens.\n\n"
            "Kind regards\nThe servicedesk",
        ),
    },
    "ticket_assigned": {
        "nb": (
            "[{number}] Tildelt deg: {title}",
            "Saken {number} (prioritet {priority}) er tildelt deg.\nTittel: {title}\n",
        ),
        "en": (
            "[{number}] Assigned to you: {title}",
            "Ticket {number} (priority {priority}) is assigned to you.\nTitle: {title}\n",
        ),
    },
    "ticket_commented": {
        "nb": (
            "[{number}] Ny kommentar: {title}",
            "Det er en ny kommentar i saken {number}:\n\n{comment}\n",
        ),
        "en": (
            "[{number}] New comment: {title}",
            "There is a new comment on ticket {number}:\n\n{comment}\n",
        ),
    },
    "ticket_resolved": {
        "nb": (
            "[{number}] Saken er løst: {title}",
            "Hei,\n\nsaken {number} er løst.\n\n{resolution}\n\n"
            "Er du ikke fornøyd, kan du gjenåpne den innen 14 dager.\n\n"
            "Vennlig hilsen\nServicedesken",
        ),
        "en": (
            "[{number}] Your ticket is resolved: {title}",
            "Hello,\n\nticket {number} is resolved.\n\n{resolution}\n\n"
            "If you are not satisfied, you may reopen it within 14 days.\n\n"
            "Kind regards\nThe servicedesk",
        ),
    },
    "sla_warning": {
        "nb": (
            "[{number}] SLA-varsel: 75 % av {target_name} er brukt",
            "Saken {number} (prioritet {priority}) har brukt 75 % av {target_name}.\n"
            "Frist: {due}\nTittel: {title}\n",
        ),
        "en": (
            "[{number}] SLA warning: 75 % of the {target_name} used",
            "Ticket {number} (priority {priority}) has used 75 % of its {target_name}.\n"
            "Due: {due}\nTitle: {title}\n",
        ),
    },
    "sla_breach": {
        "nb": (
            "[{number}] SLA brutt: {target_name} er overskredet",
            "Saken {number} (prioritet {priority}) har overskredet {target_name}.\n"
            "Fristen var {due}.\nTittel: {title}\n",
        ),
        "en": (
            "[{number}] SLA breached: {target_name} exceeded",
            "Ticket {number} (priority {priority}) has exceeded its {target_name}.\n"
            "It was due {due}.\nTitle: {title}\n",
        ),
    },
}
TARGET_NAMES = {
    "nb": {"response": "responstiden", "resolution": "løsningstiden"},
    "en": {"response": "response time", "resolution": "resolution time"},
}
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
    subject, body = TEXTS[event][language]
    values = _Blank({k: "" if v is None else v for k, v in context.items()})
    if values.get("due"):
        values["due"] = _local_time(str(values["due"]))
    if "target" in values:
        values["target_name"] = TARGET_NAMES[language].get(values["target"], values["target"])
    formatter = Formatter()
    # Subjects are one line whatever a title contains.
    rendered_subject = formatter.vformat(subject, (), values).replace("\n", " ").strip()
    return rendered_subject[:300], formatter.vformat(body, (), values)
