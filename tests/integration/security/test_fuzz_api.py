"""Schemathesis fuzzes every operation of /api/v1/openapi.json in-process, with every role's token.

Each generated request runs inside a rolled-back transaction on the seeded world
(tests/support/world.py); path parameters that name real objects of either municipality are
mixed into the generated ones, so cases get past the 404s. Checks: no 5xx, and
every response conforms to the documented status codes, content types and
schemas.

Bounded for CI: on SQLite every case (examples, coverage and fuzzing phases) is
sent once per role; on PostgreSQL, where database-specific 500s show (NUL in
text, overflows), half the examples as an admin and a requester.
Then stateful runs follow the links schemathesis infers (POST /tickets ->
GET/PATCH/comments of that ticket, ...) as an admin and as a municipal orderer.
``FUZZ_MAX_EXAMPLES=100 FUZZ_RANDOM=1`` makes a longer, random hunt by hand.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kommune_ikt.app import create_app
from kommune_ikt.core.auth.actor import Role
from tests.support.world import OTHER, OWN, World, build_world

pytestmark = pytest.mark.db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
POSTGRESQL_ROLES = (Role.ADMIN, Role.REQUESTER)
STATEFUL_SCENARIOS = int(os.environ.get("FUZZ_STATEFUL_SCENARIOS", "15"))
HYPOTHESIS = {
    "deadline": None,
    "derandomize": not RANDOM,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}


def _openapi_document() -> dict[str, Any]:
    """The served document; building the app touches no database."""
    app = create_app({"database_url": "sqlite://", "secret_key": "fuzz"})
    return app.test_client().get("/api/v1/openapi.json").get_json()


DOCUMENT = _openapi_document()
# Our tokens are sent with every call; schemathesis need not invent Authorization headers
# (tests/integration/test_every_endpoint_needs_a_token.py covers missing and bad ones).
GENERATION = {"with-security-parameters": False}
schema = schemathesis.openapi.from_dict(
    DOCUMENT, config=schemathesis.Config.from_dict({"generation": GENERATION})
)
#: real values per path parameter, filled in from the world before generation
KNOWN: dict[str, list[Any]] = {}


def known_values(world: World) -> dict[str, list[Any]]:
    objects = {kind: [by[OWN], by[OTHER]] for kind, by in world.objects.items()}
    return {
        "ticket_id": objects["ticket"],
        "attachment_id": objects["attachment"],
        "order_id": objects["pending_order"] + objects["approved_order"],
        "subscription_id": objects["subscription"],
        "request_id": objects["special_request"] + objects["quoted_request"],
        "outage_id": objects["outage"],
        "probe_id": [world.shared["probe"]],
        "rule_id": [world.shared["routing_rule"]],
        "notification_id": [world.shared["notification"]],
        "user_id": [world.shared["user"]],
        "token_id": [world.shared["token"]],
        "number": [OWN, OTHER],
        "code": [world.shared["service"], world.shared["queue"], "SEC-NETT", "SEC-INTEGRASJON"],
        "name": [world.shared["allocation_key"], "business", "24x7", "default"],
        "year": [world.shared["year"]],
    }


def real_path_parameters(context, strategy):  # a schemathesis hook
    """Half of the cases name real objects (of either municipality), so they get past 404."""
    names = {p.name for p in context.operation.path_parameters}
    if not names or not names <= KNOWN.keys():
        return strategy
    real = st.fixed_dictionaries({n: st.sampled_from(KNOWN[n]) for n in sorted(names)})
    return st.one_of(real, strategy)


schema.hook("before_generate_path_parameters")(real_path_parameters)


@pytest.fixture(scope="module")
def world(backend) -> World:
    url = backend.new_database()
    built = build_world(url)
    yield built
    built.engine.dispose()
    backend.drop(url)


@pytest.fixture
def known(world: World) -> None:
    KNOWN.clear()
    KNOWN.update(known_values(world))


def send_as(case, world: World, roles) -> None:
    # The roles that may not use an operation must fail as cleanly as those that may.
    for role in roles:
        with world.isolated():
            case.call_and_validate(app=world.app, headers=world.caller(role).headers, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, **HYPOTHESIS)
def test_fuzz_every_operation_with_every_role_on_sqlite(case, world: World, known, backend):
    if backend.name != "sqlite":
        pytest.skip("the full pass runs on SQLite; PostgreSQL has the smaller one below")
    send_as(case, world, Role)


@schema.parametrize()
@settings(max_examples=max(MAX_EXAMPLES // 2, 3), **HYPOTHESIS)
def test_fuzz_every_operation_on_postgresql(case, world: World, known, backend):
    if backend.name != "postgresql":
        pytest.skip("the smaller pass is for PostgreSQL; SQLite has the full one above")
    send_as(case, world, POSTGRESQL_ROLES)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ORDERER], ids=str)
def test_stateful_sequences_follow_the_inferred_links(world: World, known, role: Role):
    headers = world.caller(role).headers

    class Workflow(schema.as_state_machine()):
        def setup(self) -> None:
            # Each scenario in a transaction of its own, rolled back at its end.
            self.scenario = contextlib.ExitStack()
            self.scenario.enter_context(world.isolated())

        def teardown(self) -> None:
            self.scenario.close()

        def get_call_kwargs(self, case) -> dict[str, Any]:
            return {"app": world.app, "headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            case.validate_response(response, checks=CHECKS)

    Workflow.run(
        settings=settings(
            Workflow.TestCase.settings,
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=6,
            **HYPOTHESIS,
        )
    )
