"""The mail intake's files stored by the attachments package (servicedesk.attachments).

Phase 1 (``prepare``, no transaction): size limit, name and type sanitising,
virus scan, durable write of the bytes. Phase 2 (``add``, in the mail's
transaction): the attachment row on the ticket or comment, as the sender.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kommune_ikt.core.auth.actor import Actor
from servicedesk.mail.parse import MailFile


class AttachmentsSink:
    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def prepare(self, file: MailFile) -> Any:
        from servicedesk.attachments.services import prepare_upload

        return prepare_upload(
            filename=file.filename,
            content_type=file.content_type,
            data=file.data,
            settings=self.settings,
        )

    def add(
        self,
        session: Session,
        actor: Actor,
        ticket_id: int,
        prepared: Any,
        *,
        comment_id: int | None = None,
    ) -> Any:
        from servicedesk.attachments.services import add_attachment

        return add_attachment(
            session,
            actor,
            ticket_id,
            upload=prepared,
            comment_id=comment_id,
            settings=self.settings,
        )
