"""The one-statement creation on PostgreSQL stays within psycopg's caches.

psycopg converts a query's text and counts its executions for server-side
preparation only for queries of at most 4 096 characters and 50 parameters
(psycopg/_queries.py); beyond that every creation would be parsed and planned
again (measured: the creation statement took twice as long). Not a timing
test: it checks the statement's shape, which decides the cost.
"""

import pytest
from psycopg import _queries
from sqlalchemy.dialects.postgresql import psycopg

from kommune_ikt.registry import load_models
from servicedesk.choices import TicketType

load_models()
from servicedesk import filing  # noqa: E402 - needs every table defined


@pytest.mark.parametrize("ticket_type", list(TicketType))
def test_creation_statement_fits_psycopgs_caches(ticket_type):
    compiled = filing._one_statement(ticket_type, 2026).statement.compile(dialect=psycopg.dialect())
    assert len(str(compiled)) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert len(compiled.params) <= _queries.MAX_CACHED_STATEMENT_PARAMS


def test_the_statement_is_built_once_per_type_and_year():
    first = filing._one_statement(TicketType.INCIDENT, 2026)
    assert filing._one_statement(TicketType.INCIDENT, 2026) is first
    assert filing._one_statement(TicketType.INCIDENT, 2027) is not first
