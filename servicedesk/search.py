"""Full-text search over tickets: number, title, description and public comments.

PostgreSQL keeps a ``tsvector`` per ticket (Norwegian stemming, GIN index);
SQLite keeps an FTS5 row per ticket. Both are written here, by the services,
whenever the text changes (creation, a public comment), never by triggers,
so what is indexed is decided in one readable place.

Text is indexed and queried in Unicode NFC, so a word typed with a combining
ring (``a`` + U+030A, as some keyboards and Mac file names write it) finds the
same word written with ``å``, and the other way round. What is indexed is capped
(``INDEXED_CHARS``): PostgreSQL's tsvector holds at most 1 MB, and a long
comment thread would otherwise make every later comment on the ticket fail.

A query word matches words that start with its stem ("skriver" finds
"Skriveren", "skrivere"), on PostgreSQL through the Norwegian stemmer with a
prefix match, on SQLite (no Norwegian stemmer) through an FTS5 prefix query.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from kommune_ikt.core.db import table_of
from servicedesk.models import SEARCH_DOCUMENT, Ticket, TicketComment

NUMBER = re.compile(r"^\s*(INC|REQ)-(\d{4})-(\d{1,9})\s*$", re.IGNORECASE)
WORD = re.compile(r"\w+")
MAX_WORDS = 10
# Characters of each part that are indexed: far below the tsvector's 1 MB even
# for text of unique multibyte words, far above any real ticket's title and
# description. Comments past the first 60,000 characters are not searchable.
INDEXED_CHARS = {"title": 1_000, "description": 20_000, "comments": 60_000}
FTS = sa.table("ticket_fts", sa.column("rowid"))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _public_comments(ticket_id: Any) -> Any:
    return (
        sa.select(sa.func.coalesce(_aggregate(col(TicketComment.body)), ""))
        .where(col(TicketComment.ticket_id) == ticket_id, col(TicketComment.internal).is_(False))
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
    # nfc() is registered on every SQLite connection (kommune_ikt/core/db.py).
    session.execute(
        sa.text(
            "INSERT INTO ticket_fts (rowid, number, title, description, comments) "
            "SELECT id, number, nfc(substr(title, 1, :title)), "
            "nfc(substr(description, 1, :description)), nfc(substr(coalesce(("
            "SELECT group_concat(body, ' ') FROM ticket_comments "
            "WHERE ticket_id = tickets.id AND NOT internal), ''), 1, :comments)) "
            "FROM tickets WHERE id = :id"
        ),
        {"id": ticket_id, **INDEXED_CHARS},
    )


def _indexed(text: Any, part: str) -> Any:
    """The part of ``text`` that is indexed, in NFC (PostgreSQL)."""
    capped = sa.func.left(text, INDEXED_CHARS[part])
    return sa.func.normalize(capped, sa.literal_column("NFC"))


def document(number: Any, title: Any, description: Any, comments: Any) -> Any:
    """The weighted tsvector of SQL expressions for a ticket's text: number and title
    weigh most, then description, then public comments (None: none yet, the same
    document as empty comments would give)."""
    config = sa.text("'norwegian'::regconfig")
    simple = sa.text("'simple'::regconfig")
    weight_a: sa.ColumnClause[Any] = sa.literal_column("'A'")
    weight_b: sa.ColumnClause[Any] = sa.literal_column("'B'")
    title, description = _indexed(title, "title"), _indexed(description, "description")
    comments = None if comments is None else _indexed(comments, "comments")
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
    result: sa.ColumnElement[Any] = parts[0]
    for part in parts[1:]:
        result = result.op("||")(part)
    return result


_TICKETS = table_of(Ticket)
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
    """The query's words, in NFC (a decomposed å would otherwise split a word in two)."""
    return WORD.findall(unicodedata.normalize("NFC", q))[:MAX_WORDS]


def search_clause(session: Session, q: str) -> Any:
    """A WHERE clause on tickets for the query ``q`` (all its words must match)."""
    number = NUMBER.match(q)
    exact = None
    if number:
        prefix, year, seq = number.groups()
        exact = col(Ticket.number) == f"{prefix.upper()}-{year}-{int(seq):06d}"
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
        text_match = col(Ticket.id).in_(
            sa.select(FTS.c.rowid).where(sa.literal_column("ticket_fts").op("MATCH")(fts_query))
        )
    return text_match if exact is None else sa.or_(exact, text_match)
