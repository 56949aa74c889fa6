"""Full-text search over tickets: number, title, description and public comments.

PostgreSQL keeps a ``tsvector`` per ticket (Norwegian stemming, GIN index);
SQLite keeps an FTS5 row per ticket. Both are written here, by the services,
whenever the text changes (creation, a public comment), never by triggers,
so what is indexed is decided in one readable place.

A query word matches words that start with its stem ("skriver" finds
"Skriveren", "skrivere"), on PostgreSQL through the Norwegian stemmer with a
prefix match, on SQLite (no Norwegian stemmer) through an FTS5 prefix query.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from servicedesk.models import SEARCH_DOCUMENT, Ticket, TicketComment

NUMBER = re.compile(r"^\s*(INC|REQ)-(\d{4})-(\d{1,9})\s*$", re.IGNORECASE)
WORD = re.compile(r"\w+")
MAX_WORDS = 10
FTS = sa.table("ticket_fts", sa.column("rowid"))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _public_comments(ticket_id: Any) -> Any:
    return (
        sa.select(sa.func.coalesce(_aggregate(TicketComment.body), ""))
        .where(TicketComment.ticket_id == ticket_id, TicketComment.internal.is_(False))
        .scalar_subquery()
    )


def _aggregate(column: Any) -> Any:
    # string_agg on PostgreSQL, group_concat on SQLite: both via the generic
    # aggregate_strings, which SQLAlchemy renders per dialect.
    return sa.func.aggregate_strings(column, " ")


def index_ticket(session: Session, ticket_id: int, *, new: bool = False) -> None:
    """(Re)build the ticket's search document from its text and public comments.

    ``new``: the ticket has never been indexed (SQLite: no FTS row to remove).
    A new ticket on PostgreSQL gets its document in its INSERT (filing.py).
    """
    session.flush()
    if _dialect(session) == "postgresql":
        session.execute(_REINDEX, {"ticket_id": ticket_id})
        return
    if not new:
        session.execute(sa.text("DELETE FROM ticket_fts WHERE rowid = :id"), {"id": ticket_id})
    session.execute(
        sa.text(
            "INSERT INTO ticket_fts (rowid, number, title, description, comments) "
            "SELECT id, number, title, description, coalesce(("
            "SELECT group_concat(body, ' ') FROM ticket_comments "
            "WHERE ticket_id = tickets.id AND NOT internal), '') FROM tickets WHERE id = :id"
        ),
        {"id": ticket_id},
    )


def document(number: Any, title: Any, description: Any, comments: Any) -> Any:
    """The weighted tsvector of SQL expressions for a ticket's text: number and title
    weigh most, then description, then public comments (None: none yet, the same
    document as empty comments would give)."""
    config = sa.text("'norwegian'::regconfig")
    simple = sa.text("'simple'::regconfig")
    weight_a, weight_b = sa.literal_column("'A'"), sa.literal_column("'B'")
    parts = [
        sa.func.setweight(
            sa.func.to_tsvector(
                simple, sa.func.replace(number, sa.literal_column("'-'"), sa.literal_column("' '"))
            ),
            weight_a,
        ),
        sa.func.setweight(sa.func.to_tsvector(config, title), weight_a),
        sa.func.setweight(sa.func.to_tsvector(config, description), weight_b),
    ]
    if comments is not None:
        parts.append(sa.func.to_tsvector(config, comments))
    result = parts[0]
    for part in parts[1:]:
        result = result.op("||")(part)
    return result


_TICKETS = Ticket.__table__  # type: ignore[attr-defined]
_REINDEX = (
    sa.update(_TICKETS)
    .where(_TICKETS.c.id == sa.bindparam("ticket_id"))
    .values(
        {
            SEARCH_DOCUMENT.name: document(
                _TICKETS.c.number,
                _TICKETS.c.title,
                _TICKETS.c.description,
                _public_comments(_TICKETS.c.id),
            )
        }
    )
)


def words(q: str) -> list[str]:
    return WORD.findall(q)[:MAX_WORDS]


def search_clause(session: Session, q: str) -> Any:
    """A WHERE clause on tickets for the query ``q`` (all its words must match)."""
    number = NUMBER.match(q)
    exact = None
    if number:
        prefix, year, seq = number.groups()
        exact = Ticket.number == f"{prefix.upper()}-{year}-{int(seq):06d}"
    terms = words(q)
    if not terms:
        return exact if exact is not None else sa.false()
    if _dialect(session) == "postgresql":
        # Words are \w+ only, so they cannot carry tsquery syntax.
        tsquery = sa.func.to_tsquery(
            sa.text("'norwegian'::regconfig"), " & ".join(f"{w}:*" for w in terms)
        )
        text_match = SEARCH_DOCUMENT.op("@@")(tsquery)
    else:
        fts_query = " ".join('"' + w.replace('"', "") + '"*' for w in terms)
        text_match = Ticket.id.in_(
            sa.select(FTS.c.rowid).where(sa.literal_column("ticket_fts").op("MATCH")(fts_query))
        )
    return text_match if exact is None else sa.or_(exact, text_match)
