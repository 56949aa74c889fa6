"""The one-statement creation on PostgreSQL stays within psycopg's caches.

psycopg converts a query's text and counts its executions for server-side
preparation only for queries of at most 4 096 characters and 50 parameters
(MAX_CACHED_STATEMENT_LENGTH and MAX_CACHED_STATEMENT_PARAMS in psycopg's
_queries.py, not a public name, hence the figures here); beyond that every
creation would be parsed and planned again (measured: the creation statement
took twice as long). Not a timing test: it checks the statement's shape, which
decides the cost.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy.dialects.postgresql import psycopg

from kommune_ikt.registry import load_models
from servicedesk.choices import TicketType

load_models()
from servicedesk.filing import write as filing  # noqa: E402 - needs every table defined

MAX_CACHED_STATEMENT_LENGTH = 4096
MAX_CACHED_STATEMENT_PARAMS = 50


@pytest.mark.parametrize("ticket_type", list(TicketType))
def test_creation_statement_fits_psycopgs_caches(ticket_type):
    compiled = filing._one_statement(ticket_type, 2026).statement.compile(dialect=psycopg.dialect())
    assert len(str(compiled)) <= MAX_CACHED_STATEMENT_LENGTH
    assert len(compiled.params) <= MAX_CACHED_STATEMENT_PARAMS


def test_the_statement_is_built_once_per_type_and_year():
    first = filing._one_statement(TicketType.INCIDENT, 2026)
    assert filing._one_statement(TicketType.INCIDENT, 2026) is first
    assert filing._one_statement(TicketType.INCIDENT, 2027) is not first


def test_rows_that_are_not_a_new_tickets_are_refused():
    """The statement writes a new ticket's fixed values as constants, so rows that
    disagree (a resolved ticket, a breached SLA) must not reach it silently."""
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    ticket = {c: None for c in filing.TICKET_COLUMNS} | {
        "version": 1, "created_at": now, "updated_at": now,
    }  # fmt: skip
    sla = {c: None for c in filing.SLA_COLUMNS} | dict.fromkeys(filing.SLA_FLAGS, False)
    sla["computed_at"] = now
    filing._check_new(filing.NewRows(ticket, [], sla, []), now)
    for part, change in (
        ("ticket", {"resolved_at": now}),
        ("ticket", {"version": 2}),
        ("ticket", {"updated_at": datetime(2026, 11, 24, tzinfo=UTC)}),
        ("sla", {"response_breached": True}),
    ):
        rows = {"ticket": ticket, "sla": sla} | {part: {**locals()[part], **change}}
        with pytest.raises(ValueError, match=next(iter(change))):
            filing._check_new(filing.NewRows(rows["ticket"], [], rows["sla"], []), now)
