"""The reference token and the per-process snapshot built on it (kommune_ikt/core/reference_cache.py).

A ticket creation routes, checks and SLA-times from a cached snapshot; these
tests show that every way of changing the underlying tables is seen by the
next creation, in this process or another, and that nothing rolled back is.
"""

import pytest
import sqlalchemy as sa

from kommune_ikt.core import reference_cache as reference
from servicedesk.models import Queue, RoutingRule
from servicedesk.snapshot import reference as snapshot
from tests.support.desk import TICKET

pytestmark = pytest.mark.db


def current_token(session):
    return session.execute(sa.text("SELECT token FROM reference_version WHERE id = 1")).scalar_one()


# A no-op change of one existing row per table, in raw SQL (as an operator or a
# later migration might write): the triggers must see it, the ORM is not involved.
TOUCH = {
    "municipalities": "UPDATE municipalities SET name = name",
    "services": "UPDATE services SET name = name",
    "queues": "UPDATE queues SET name = name",
    "routing_rules": "UPDATE routing_rules SET name = name",
    "sla_policies": "UPDATE sla_policies SET response_minutes = response_minutes",
    "sla_calendars": "UPDATE sla_calendars SET timezone = timezone",
    "triage_models": "UPDATE triage_models SET samples = samples",
}


def test_every_reference_table_is_touched_here():
    assert set(TOUCH) == set(reference.REFERENCE_TABLES)


@pytest.fixture
def one_row_everywhere(session, create_municipality):
    """At least one row in every reference table (queues, policies, calendars are seeded)."""
    create_municipality("1505")
    session.execute(
        sa.text(
            "INSERT INTO services (code, name, description, tier, category, status, "
            "service_hours, owner_team, created_at, updated_at) VALUES ('EPOST', 'E-post', '', "
            "'basic', '', 'active', 'business', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    session.add(RoutingRule(position=1, name="skriver", queue_code="SERVICEDESK", match={}))
    session.execute(
        sa.text(
            "INSERT INTO triage_models (version, trained_at, samples, figures, active, sha256, "
            "blob) VALUES (1, CURRENT_TIMESTAMP, 0, '{}', false, '', :blob)"
        ),
        {"blob": b""},
    )
    session.flush()


@pytest.mark.parametrize("table", reference.REFERENCE_TABLES)
@pytest.mark.parametrize("statement", ["insert", "update", "delete"])
def test_each_write_to_a_reference_table_changes_the_token(
    session, one_row_everywhere, table, statement
):
    before = current_token(session)
    with session.begin_nested() as savepoint:
        if statement == "update":
            session.execute(sa.text(TOUCH[table]))
        else:
            # Copy a row under a new key and (for delete) remove it again: both
            # run the table's own triggers.
            _insert_copy(session, table)
            if statement == "delete":
                mid = current_token(session)
                session.execute(sa.text(f"DELETE FROM {table} WHERE {_copy_where(table)}"))
                assert current_token(session) != mid
        assert current_token(session) != before
        savepoint.rollback()
    assert current_token(session) == before


def _insert_copy(session, table):
    copies = {
        "municipalities": "INSERT INTO municipalities (number, name, country, county, "
        "population, population_year, joined_on, left_on, sla_policy_set, created_at, "
        "updated_at) SELECT '9999', name, country, county, population, population_year, "
        "joined_on, left_on, sla_policy_set, created_at, updated_at FROM municipalities "
        "WHERE number = '1505'",
        "services": "INSERT INTO services (code, name, description, tier, category, status, "
        "service_hours, owner_team, created_at, updated_at) SELECT 'KOPI', name, description, "
        "tier, category, status, service_hours, owner_team, created_at, updated_at "
        "FROM services WHERE code = 'EPOST'",
        "queues": "INSERT INTO queues (code, name, sector, auto_assign, is_default, created_at, "
        "updated_at) VALUES ('KOPI', 'Kopi', NULL, false, false, CURRENT_TIMESTAMP, "
        "CURRENT_TIMESTAMP)",
        "routing_rules": "INSERT INTO routing_rules (position, name, match, queue_code, "
        "created_at, updated_at) VALUES (99, 'kopi', '{}', 'SERVICEDESK', CURRENT_TIMESTAMP, "
        "CURRENT_TIMESTAMP)",
        "sla_policies": "INSERT INTO sla_policies (set_name, priority, response_minutes, "
        "resolution_minutes, calendar) SELECT 'kopi', priority, response_minutes, "
        "resolution_minutes, calendar FROM sla_policies WHERE set_name = 'default'",
        "sla_calendars": "INSERT INTO sla_calendars (name, timezone, hours, holiday_country, "
        "holiday_subdivision, extra_closed_dates, special_hours, builtin, version, updated_at) "
        "SELECT 'kopi', timezone, hours, holiday_country, holiday_subdivision, "
        "extra_closed_dates, special_hours, false, version, updated_at FROM sla_calendars "
        "WHERE name = 'business'",
        "triage_models": "INSERT INTO triage_models (version, trained_at, samples, figures, "
        "active, sha256, blob) SELECT 99, trained_at, samples, figures, false, sha256, blob "
        "FROM triage_models WHERE version = 1",
    }
    if table == "sla_policies":
        session.execute(
            sa.text(
                "INSERT INTO sla_policy_sets (name, version, created_at, updated_at) "
                "VALUES ('kopi', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    session.execute(sa.text(copies[table]))


def _copy_where(table):
    return {
        "municipalities": "number = '9999'",
        "services": "code = 'KOPI'",
        "queues": "code = 'KOPI'",
        "routing_rules": "name = 'kopi'",
        "sla_policies": "set_name = 'kopi'",
        "sla_calendars": "name = 'kopi'",
        "triage_models": "version = 99",
    }[table]


def test_cached_loads_once_per_token(session):
    calls = []

    def loader(s):
        calls.append(1)
        return object()

    first = reference.cached(session, "test-loader", loader)
    assert reference.cached(session, "test-loader", loader) is first
    session.execute(sa.text(TOUCH["queues"]))
    assert reference.cached(session, "test-loader", loader) is not first
    assert len(calls) == 2


def test_a_raw_change_is_seen_by_the_next_creation(desk, create_user):
    """Routing from the snapshot follows a rule added behind the ORM's back."""
    requester = create_user("requester", municipality="1505")
    assert desk.ticket(requester)["queue"] == "SERVICEDESK"  # fills the snapshot
    desk.session.add(Queue(code="SKRIVER", name="Skrivere"))
    desk.session.flush()
    desk.session.execute(
        sa.text(
            "INSERT INTO routing_rules (position, name, match, queue_code, created_at, "
            "updated_at) VALUES (1, 'skriver', '{\"keywords\": [\"skriveren\"]}', 'SKRIVER', "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    assert desk.ticket(requester)["queue"] == "SKRIVER"


def test_a_rolled_back_change_is_never_used(desk, create_user):
    requester = create_user("requester", municipality="1505")
    session = desk.session
    session.add(Queue(code="SKRIVER", name="Skrivere"))
    session.flush()
    before = snapshot(session)
    with session.begin_nested() as savepoint:
        session.add(
            RoutingRule(
                position=1, name="skriver", queue_code="SKRIVER", match={"keywords": ["skriveren"]}
            )
        )
        session.flush()
        assert [r.name for r in snapshot(session).rules] == ["skriver"]
        savepoint.rollback()
    assert snapshot(session) is before
    assert desk.ticket(requester, **{"title": TICKET["title"]})["queue"] == "SERVICEDESK"


def test_authentication_reads_the_token_for_the_request(desk, create_user, count_queries):
    """A creation reads the token once, as a column of the authentication statement."""
    requester = create_user("requester", municipality="1505")
    desk.ticket(requester)  # fills the snapshot
    with count_queries() as statements:
        desk.ticket(requester)
    # (On PostgreSQL the authentication statement itself goes to the driver directly
    # and is not recorded; a separate read of the token would be.)
    assert [s for s in statements if "reference_version" in s and "api_tokens" not in s] == []


@pytest.mark.parametrize("write", ["core", "orm", "end"])
def test_a_prefetched_token_is_forgotten_when_the_transaction_writes(session, write):
    """A token read before this transaction's own write must not be used after it:
    the write may have changed reference data (and so the token)."""
    reference.prefetched(session, "read-before-the-write")
    assert reference.token(session) == "read-before-the-write"
    if write == "core":
        session.execute(sa.text(TOUCH["queues"]))
    elif write == "orm":
        session.add(Queue(code="SKRIVER", name="Skrivere"))
        session.flush()
    else:
        session.begin_nested().commit()
    assert reference.token(session) == current_token(session) != "read-before-the-write"
