"""E-mails in the recipient's language: the user's setting, else NOTIFICATION_LANGUAGE, else
DEFAULT_LANGUAGE."""

from __future__ import annotations

from email.header import decode_header, make_header

from kommune_ikt.core.auth.actor import SYSTEM
from kommune_ikt.core.auth.services import create_user
from notifications.sender import send_due
from tests.support.smtp import smtp_settings


def _user(outbox, email: str, language: str | None) -> None:
    with outbox.database.session() as session, session.begin():
        create_user(session, SYSTEM, email=email, role="agent", language=language)


def test_mail_follows_the_recipients_language(outbox, smtp_server):
    _user(outbox, "Innbygger0@Kristiansund.kommune.no", "sv")
    _user(outbox, "innbygger1@kristiansund.kommune.no", None)
    outbox.add(3)
    assert send_due(outbox.database, smtp_settings(smtp_server.port))["sent"] == 3
    subjects = {
        m["To"]: str(make_header(decode_header(m["Subject"]))) for m in smtp_server.messages
    }
    assert subjects["innbygger0@kristiansund.kommune.no"].startswith(
        "[INC-2026-000001] Vi har tagit emot ditt ärende"
    )
    # No setting, or no user at all: the deployment's mail language (bokmål).
    assert subjects["innbygger1@kristiansund.kommune.no"].startswith(
        "[INC-2026-000002] Vi har mottatt"
    )
    assert subjects["innbygger2@kristiansund.kommune.no"].startswith(
        "[INC-2026-000003] Vi har mottatt"
    )


def test_default_language_applies_when_no_mail_language_is_set(outbox, smtp_server):
    outbox.add(1)
    settings = smtp_settings(smtp_server.port, default_language="nn", notification_language=None)
    send_due(outbox.database, settings)
    assert smtp_server.messages[0]["Subject"] == "[INC-2026-000001] Vi har motteke saka di: Skriver"
    assert "Venleg helsing" in smtp_server.messages[0].get_payload()
