"""mail channel: municipalities' e-mail domains, tickets' source, received mail, sent Message-IDs

``mail_messages`` records every received mail once (unique Message-ID), in the
transaction of its effect, and holds the quarantine. Notifications are found
by their Message-ID when a reply names one, and counted by recipient for the
daily cap on automatic mails.

Revision ID: 9c1d2e3f4a51
Revises: fed7949f09f5
Create Date: 2026-12-03 10:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c1d2e3f4a51"
down_revision: str | None = "fed7949f09f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (with a constant default), also on SQLite: rebuilding the
    # tickets table would trip over the rows that refer to it.
    op.add_column(
        "municipalities",
        sa.Column("email_domains", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column(
        "tickets", sa.Column("source", sa.String(20), nullable=False, server_default="api")
    )
    op.create_index("ix_notifications_message_id", "notifications", ["message_id"])
    op.create_index("ix_notifications_recipient_sent_at", "notifications", ["recipient", "sent_at"])
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.String(500), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.String(254), nullable=True),
        sa.Column("subject", sa.String(300), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey(
                "tickets.id", name="fk_mail_messages_ticket_id_tickets", ondelete="SET NULL"
            ),
            nullable=True,
        ),
        sa.Column(
            "comment_id",
            sa.Integer(),
            sa.ForeignKey(
                "ticket_comments.id",
                name="fk_mail_messages_comment_id_ticket_comments",
                ondelete="SET NULL",
            ),
            nullable=True,
        ),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column(
            "decided_by",
            sa.Integer(),
            sa.ForeignKey("users.id", name="fk_mail_messages_decided_by_users"),
            nullable=True,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("message_id", name="uq_mail_messages_message_id"),
    )
    op.create_index(
        "ix_mail_messages_outcome_received", "mail_messages", ["outcome", "received_at", "id"]
    )
    op.create_index("ix_mail_messages_ticket_id", "mail_messages", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_mail_messages_ticket_id", "mail_messages")
    op.drop_index("ix_mail_messages_outcome_received", "mail_messages")
    op.drop_table("mail_messages")
    op.drop_index("ix_notifications_recipient_sent_at", "notifications")
    op.drop_index("ix_notifications_message_id", "notifications")
    op.drop_column("tickets", "source")
    op.drop_column("municipalities", "email_domains")
