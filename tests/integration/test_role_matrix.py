"""Every API endpoint × every role × own and another municipality's object: the status is fixed.

The table below is the authority (API.md's Conventions and the endpoints' own
rules). It is checked against the app's URL map in both directions, so a new
endpoint fails this file until someone decides who may use it; where a view
carries ``@roles`` (``view._roles``) the table must agree with it.

Per endpoint, each role calls it on an object of its own municipality and on
one of another municipality (or lists filtered on / creates for either):

- a role the endpoint is not for: 403, whatever the object;
- an allowed role, own object: the success status;
- an allowed municipal role, another municipality's object: 404 (no hint that
  it exists); a list filtered on, or a create for, another municipality: 403;
- IT roles see every municipality: success for both;
- no token: 401.

Every request runs in a transaction that is rolled back, so each starts from
the same world (tests/support/world.py).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from kommune_ikt.core.auth.actor import IT_ROLES, MUNICIPAL_ROLES, Role
from tests.support.world import BASIC, OPTIONAL, OTHER, OWN, SPECIAL, World, build_world

pytestmark = pytest.mark.db

PREFIX = "/api/v1"
PUBLIC = {"/api/v1/openapi.json"}
EVERYONE = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
IT = frozenset(IT_ROLES)

# Tenancy kinds: how an endpoint relates to a municipality.
NONE = "none"  # not tied to a municipality: called once
PUBLIC_OBJECT = "public"  # a municipality's object everyone may read (the municipality itself)
OBJECT = "object"  # a municipality's object: 404 for another municipality's caller
FILTER = "filter"  # a list filtered with ?municipality=: 403 for another municipality's caller
CREATE = "create"  # creates for the municipality named in the body: 403 for another's

Params = Callable[[World, str], dict[str, Any]]
Body = Callable[[World, str, Role], Any]


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[Role]
    tenancy: str = NONE
    ok: int = 200
    #: an allowed role that the object's state or ownership still refuses, and why
    refused: tuple[tuple[Role, int, str], ...] = ()
    params: Params | None = None  # path parameters for a municipality's object
    body: Body | None = None
    if_match: bool = False
    #: a multipart/form-data body instead of JSON (uploads)
    form: Body | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed", frozenset(self.allowed) | {Role.ADMIN})


def of(kind: str, name: str) -> Params:
    return lambda w, m: {name: w.obj(kind, m)}


def shared(kind: str, name: str) -> Params:
    return lambda w, m: {name: w.shared[kind]}


def constant(**values: Any) -> Params:
    return lambda w, m: values


def body(value: Any) -> Body:
    return lambda w, m, role: value


def with_municipality(value: dict[str, Any], *, only_it: bool = False) -> Body:
    """``value`` for municipality ``m``; with ``only_it``, municipal callers name none of their own."""

    def make(w: World, m: str, role: Role) -> dict[str, Any]:
        if only_it and role in MUNICIPAL_ROLES and m == w.caller(role).municipality:
            return dict(value)
        return {**value, "municipality": m}

    return make


def ticket_patch(w: World, m: str, role: Role) -> dict[str, Any]:
    # Requesters may only cancel or reopen; workers change the classification.
    return {"status": "cancelled"} if role in MUNICIPAL_ROLES else {"impact": 1}


def upload_form(w: World, m: str, role: Role) -> dict[str, Any]:
    return {"file": FileStorage(io.BytesIO(b"%PDF-1.7 logg"), "logg.pdf", "application/pdf")}


TICKET = {
    "title": "Får ikke logget inn på Visma",
    "description": "Feilmelding om utløpt passord.",
    "type": "incident",
    "impact": 3,
    "urgency": 2,
}
ORDER = {"service_code": OPTIONAL, "quantity": 2, "note": "Vikarer"}
SPECIAL_REQUEST = {"title": "Ny integrasjon", "description": "Mot lønnssystemet."}
AVAILABILITY_WINDOW = constant(code=BASIC)

TABLE: dict[tuple[str, str], Rule] = {
    # --- users and tokens (foundation) ------------------------------------------------
    ("GET", "/users"): Rule(ADMIN),
    ("POST", "/users"): Rule(
        ADMIN, ok=201, body=body({"email": "ny.agent@orkide.example", "role": "agent"})
    ),
    ("POST", "/users/<int:user_id>/tokens"): Rule(
        ADMIN, ok=201, params=shared("user", "user_id"), body=body({"name": "skript"})
    ),
    ("DELETE", "/tokens/<int:token_id>"): Rule(ADMIN, ok=204, params=shared("token", "token_id")),
    ("GET", "/users/<int:user_id>"): Rule(ADMIN, params=shared("user", "user_id")),
    ("PATCH", "/users/<int:user_id>"): Rule(
        ADMIN, params=shared("user", "user_id"), body=body({"name": "Nytt Navn"}), if_match=True
    ),
    ("GET", "/users/<int:user_id>/tokens"): Rule(ADMIN, params=shared("user", "user_id")),
    ("GET", "/me"): Rule(EVERYONE),
    ("PATCH", "/me"): Rule(EVERYONE, body=body({"language": "nn"})),
    ("PUT", "/me/availability"): Rule(EVERYONE, body=body({"available": False})),
    # --- municipalities ---------------------------------------------------------------
    ("GET", "/municipalities"): Rule(EVERYONE),
    ("POST", "/municipalities"): Rule(
        ADMIN, ok=201, body=body({"number": "1554", "joined_on": "2019-01-01"})
    ),
    ("GET", "/municipalities/<string:number>"): Rule(
        EVERYONE, PUBLIC_OBJECT, params=lambda w, m: {"number": m}
    ),
    ("PATCH", "/municipalities/<string:number>"): Rule(
        ADMIN,
        PUBLIC_OBJECT,
        params=lambda w, m: {"number": m},
        body=body({"population": 24_500}),
        if_match=True,
    ),
    ("GET", "/municipalities/<string:number>/populations"): Rule(
        EVERYONE, PUBLIC_OBJECT, params=lambda w, m: {"number": m}
    ),
    ("GET", "/municipalities/<string:number>/populations/<int:year>"): Rule(
        EVERYONE, PUBLIC_OBJECT, params=lambda w, m: {"number": m, "year": 2024}
    ),
    ("PUT", "/municipalities/<string:number>/populations/<int:year>"): Rule(
        ADMIN,
        PUBLIC_OBJECT,
        params=lambda w, m: {"number": m, "year": 2025},
        body=body({"population": 24_500, "source": "SSB 1 January 2025"}),
    ),
    # --- catalogue --------------------------------------------------------------------
    ("GET", "/budget-years"): Rule(EVERYONE),
    ("POST", "/budget-years/<int:year>/close"): Rule(
        {Role.CATALOGUE_MANAGER}, params=lambda w, m: {"year": w.shared["year"]}
    ),
    ("GET", "/services/<string:code>/participants/<int:year>"): Rule(
        EVERYONE, params=lambda w, m: {"code": BASIC, "year": w.shared["year"]}
    ),
    ("PUT", "/services/<string:code>/participants/<int:year>"): Rule(
        {Role.CATALOGUE_MANAGER},
        params=lambda w, m: {"code": BASIC, "year": w.shared["year"]},
        body=body({"municipalities": [OWN, OTHER]}),
    ),
    ("GET", "/services"): Rule(EVERYONE),
    ("POST", "/services"): Rule(
        {Role.CATALOGUE_MANAGER},
        ok=201,
        body=body({"code": "SEC-NY", "name": "Ny tjeneste", "tier": "optional"}),
    ),
    ("GET", "/services/<string:code>"): Rule(EVERYONE, params=constant(code=OPTIONAL)),
    ("PATCH", "/services/<string:code>"): Rule(
        {Role.CATALOGUE_MANAGER},
        params=constant(code=OPTIONAL),
        body=body({"description": "Sikkerhetskopi av fagsystemer."}),
        if_match=True,
    ),
    ("GET", "/services/<string:code>/prices"): Rule(EVERYONE, params=constant(code=OPTIONAL)),
    ("GET", "/services/<string:code>/prices/<int:year>"): Rule(
        EVERYONE, params=lambda w, m: {"code": OPTIONAL, "year": w.shared["year"]}
    ),
    ("PUT", "/services/<string:code>/prices/<int:year>"): Rule(
        {Role.CATALOGUE_MANAGER},
        params=lambda w, m: {"code": OPTIONAL, "year": w.shared["year"] + 1},
        body=body({"model": "unit", "unit": "licence", "unit_price": "520.00", "period": "year"}),
    ),
    ("GET", "/allocation-keys"): Rule({Role.CATALOGUE_MANAGER}),
    ("POST", "/allocation-keys"): Rule(
        {Role.CATALOGUE_MANAGER},
        ok=201,
        body=body({"name": "Likedeling", "equal_weight": "1", "population_weight": "0"}),
    ),
    ("GET", "/allocation-keys/<path:name>"): Rule(
        {Role.CATALOGUE_MANAGER}, params=shared("allocation_key", "name")
    ),
    ("PUT", "/allocation-keys/<path:name>"): Rule(
        {Role.CATALOGUE_MANAGER},
        params=shared("allocation_key", "name"),
        body=body({"equal_weight": "0.5", "population_weight": "0.5", "default": True}),
    ),
    # --- orders and subscriptions -----------------------------------------------------
    ("GET", "/orders"): Rule(EVERYONE, FILTER),
    ("POST", "/orders"): Rule(EVERYONE, CREATE, ok=201, body=with_municipality(ORDER)),
    ("GET", "/orders/<int:order_id>"): Rule(
        EVERYONE, OBJECT, params=of("pending_order", "order_id")
    ),
    ("POST", "/orders/<int:order_id>/approve"): Rule(
        {Role.ORDERER}, OBJECT, params=of("pending_order", "order_id")
    ),
    ("POST", "/orders/<int:order_id>/reject"): Rule(
        {Role.ORDERER}, OBJECT, params=of("pending_order", "order_id"), body=body({"reason": "Nei"})
    ),
    ("POST", "/orders/<int:order_id>/cancel"): Rule(
        {Role.REQUESTER, Role.ORDERER, Role.AGENT},
        OBJECT,
        params=of("pending_order", "order_id"),
        body=body({"reason": "Feilbestilling"}),
    ),
    ("POST", "/orders/<int:order_id>/fulfil"): Rule(
        {Role.AGENT},
        OBJECT,
        params=of("approved_order", "order_id"),
        body=lambda w, m, role: {"start_on": f"{w.shared['year']}-02-01"},
    ),
    ("GET", "/subscriptions"): Rule({Role.ORDERER, Role.AGENT}, FILTER),
    ("GET", "/subscriptions/<int:subscription_id>"): Rule(
        {Role.ORDERER, Role.AGENT}, OBJECT, params=of("subscription", "subscription_id")
    ),
    ("GET", "/subscriptions/<int:subscription_id>/changes"): Rule(
        {Role.ORDERER, Role.AGENT}, OBJECT, params=of("subscription", "subscription_id")
    ),
    ("PATCH", "/subscriptions/<int:subscription_id>"): Rule(
        {Role.ORDERER, Role.AGENT},
        OBJECT,
        params=of("subscription", "subscription_id"),
        body=lambda w, m, role: {"end_on": f"{w.shared['year'] + 1}-12-31"},
        if_match=True,
    ),
    # --- special requests -------------------------------------------------------------
    ("GET", "/special-requests"): Rule(
        {Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS}, FILTER
    ),
    ("POST", "/special-requests"): Rule(
        {Role.ORDERER}, CREATE, ok=201, body=with_municipality(SPECIAL_REQUEST)
    ),
    ("GET", "/special-requests/portfolio"): Rule(
        {Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS}
    ),
    ("GET", "/special-requests/<int:request_id>"): Rule(
        {Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS},
        OBJECT,
        params=of("special_request", "request_id"),
    ),
    ("PATCH", "/special-requests/<int:request_id>"): Rule(
        {Role.CATALOGUE_MANAGER},
        OBJECT,
        params=of("special_request", "request_id"),
        body=body({"priority_rank": 1}),
        if_match=True,
    ),
    ("POST", "/special-requests/<int:request_id>/quote"): Rule(
        {Role.CATALOGUE_MANAGER},
        OBJECT,
        params=of("special_request", "request_id"),
        body=body({"hours": "12", "service_code": SPECIAL}),
    ),
    ("POST", "/special-requests/<int:request_id>/accept"): Rule(
        {Role.ORDERER}, OBJECT, params=of("quoted_request", "request_id")
    ),
    ("POST", "/special-requests/<int:request_id>/reject"): Rule(
        {Role.ORDERER}, OBJECT, params=of("quoted_request", "request_id")
    ),
    # --- cost reports -----------------------------------------------------------------
    ("GET", "/cost-reports/<int:year>"): Rule(
        {Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS},
        FILTER,
        params=lambda w, m: {"year": w.shared["year"]},
    ),
    # --- tickets ----------------------------------------------------------------------
    ("GET", "/tickets"): Rule(EVERYONE, FILTER),
    ("POST", "/tickets"): Rule(
        EVERYONE, CREATE, ok=201, body=with_municipality(TICKET, only_it=True)
    ),
    ("GET", "/tickets/<int:ticket_id>"): Rule(EVERYONE, OBJECT, params=of("ticket", "ticket_id")),
    ("PATCH", "/tickets/<int:ticket_id>"): Rule(
        {Role.REQUESTER, Role.ORDERER, Role.AGENT},
        OBJECT,
        params=of("ticket", "ticket_id"),
        body=ticket_patch,
        if_match=True,
        refused=((Role.ORDERER, 403, "may change only tickets the orderer filed"),),
    ),
    ("GET", "/tickets/<int:ticket_id>/comments"): Rule(
        EVERYONE, OBJECT, params=of("ticket", "ticket_id")
    ),
    ("POST", "/tickets/<int:ticket_id>/comments"): Rule(
        EVERYONE,
        OBJECT,
        ok=201,
        params=of("ticket", "ticket_id"),
        body=body({"body": "Takk, det virker nå.", "internal": False}),
    ),
    ("GET", "/tickets/<int:ticket_id>/history"): Rule(
        EVERYONE, OBJECT, params=of("ticket", "ticket_id")
    ),
    # --- attachments ------------------------------------------------------------------
    ("GET", "/tickets/<int:ticket_id>/attachments"): Rule(
        EVERYONE, OBJECT, params=of("ticket", "ticket_id")
    ),
    ("POST", "/tickets/<int:ticket_id>/attachments"): Rule(
        EVERYONE, OBJECT, ok=201, params=of("ticket", "ticket_id"), form=upload_form
    ),
    ("GET", "/attachments/<int:attachment_id>"): Rule(
        EVERYONE, OBJECT, params=of("attachment", "attachment_id")
    ),
    ("GET", "/attachments/<int:attachment_id>/content"): Rule(
        EVERYONE, OBJECT, params=of("attachment", "attachment_id")
    ),
    ("DELETE", "/attachments/<int:attachment_id>"): Rule(
        {Role.AGENT}, OBJECT, ok=204, params=of("attachment", "attachment_id")
    ),
    ("GET", "/tickets/<int:ticket_id>/sla"): Rule(
        EVERYONE, OBJECT, params=of("ticket", "ticket_id")
    ),
    # --- queues and routing -----------------------------------------------------------
    ("GET", "/queues"): Rule(IT),
    ("POST", "/queues"): Rule(ADMIN, ok=201, body=body({"code": "SEC-SKOLE", "name": "Skole"})),
    ("GET", "/queues/<string:code>"): Rule(IT, params=shared("queue", "code")),
    ("PATCH", "/queues/<string:code>"): Rule(
        ADMIN, params=shared("queue", "code"), body=body({"name": "Nett og tele"}), if_match=True
    ),
    ("GET", "/routing-rules"): Rule(IT),
    ("POST", "/routing-rules"): Rule(
        ADMIN,
        ok=201,
        body=body({"position": 20, "match": {"keywords": ["skriver"]}, "queue": "SEC-NETT"}),
    ),
    ("GET", "/routing-rules/<int:rule_id>"): Rule(IT, params=shared("routing_rule", "rule_id")),
    ("PATCH", "/routing-rules/<int:rule_id>"): Rule(
        ADMIN, params=shared("routing_rule", "rule_id"), body=body({"position": 5}), if_match=True
    ),
    ("DELETE", "/routing-rules/<int:rule_id>"): Rule(
        ADMIN, ok=204, params=shared("routing_rule", "rule_id")
    ),
    ("POST", "/routing-rules/test"): Rule(
        IT, body=with_municipality({**TICKET, "title": "brannmur"})
    ),
    # --- Triage -----------------------------------------------------------------------
    ("GET", "/triage/models"): Rule({Role.AGENT}),
    ("POST", "/triage/models"): Rule(
        ADMIN, ok=201, refused=((Role.ADMIN, 422, "the world has too few resolved tickets"),)
    ),
    ("GET", "/triage/models/current"): Rule(
        {Role.AGENT},
        refused=((Role.AGENT, 404, "no model trained"), (Role.ADMIN, 404, "no model trained")),
    ),
    ("POST", "/triage/models/<int:version>/activate"): Rule(
        ADMIN, params=constant(version=1), refused=((Role.ADMIN, 404, "no model trained"),)
    ),
    ("POST", "/triage/suggest"): Rule(
        {Role.AGENT}, body=body({"title": "Skriveren", "description": "Papirstopp."})
    ),
    # --- SLA --------------------------------------------------------------------------
    ("GET", "/calendars"): Rule(EVERYONE),
    ("GET", "/calendars/<string:name>"): Rule(EVERYONE, params=constant(name="business")),
    ("PUT", "/calendars/<string:name>"): Rule(
        ADMIN,
        params=constant(name="business"),
        body=body(
            {
                "timezone": "Europe/Oslo",
                "hours": {d: [["08:00", "15:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
                "holiday_country": "NO",
                "holiday_subdivision": None,
                "extra_closed_dates": [],
            }
        ),
    ),
    ("GET", "/sla-policies"): Rule(EVERYONE),
    ("GET", "/sla-policies/<string:name>"): Rule(EVERYONE, params=constant(name="default")),
    ("PUT", "/sla-policies/<string:name>"): Rule(
        ADMIN,
        params=constant(name="default"),
        body=body(
            {
                "policies": [
                    {"priority": p, "response_minutes": 15 * p, "resolution_minutes": 120 * p}
                    | {"calendar": "business"}
                    for p in (1, 2, 3, 4)
                ]
            }
        ),
    ),
    ("POST", "/sla-policies/<string:name>/reapply"): Rule(ADMIN, params=constant(name="default")),
    ("GET", "/sla-policies/<string:name>/changes"): Rule(
        {Role.AGENT}, params=constant(name="default")
    ),
    # --- notifications ----------------------------------------------------------------
    ("GET", "/notifications"): Rule({Role.AGENT}),
    ("GET", "/notifications/<int:notification_id>"): Rule(
        {Role.AGENT}, params=shared("notification", "notification_id")
    ),
    # A notification still queued has nothing to retry: 409 for the one role allowed.
    ("POST", "/notifications/<int:notification_id>/retry"): Rule(
        ADMIN, ok=409, params=shared("notification", "notification_id")
    ),
    # --- mail quarantine --------------------------------------------------------------
    ("GET", "/mail/quarantine"): Rule({Role.AGENT}),
    ("POST", "/mail/quarantine/<int:mail_id>/accept"): Rule(
        {Role.AGENT}, params=shared("quarantined_mail", "mail_id"), body=body({"municipality": OWN})
    ),
    ("POST", "/mail/quarantine/<int:mail_id>/reject"): Rule(
        {Role.AGENT}, params=shared("quarantined_mail", "mail_id")
    ),
    # --- outages, probes, availability ------------------------------------------------
    ("GET", "/outages"): Rule(EVERYONE, FILTER),
    ("POST", "/outages"): Rule(
        {Role.OPERATIONS},
        ok=201,
        body=body(
            {
                "service_code": BASIC,
                "started_at": "2025-03-01T08:00:00+01:00",
                "ended_at": "2025-03-01T09:00:00+01:00",
                "planned": True,
                "municipalities": None,
            }
        ),
    ),
    ("GET", "/outages/<int:outage_id>"): Rule(EVERYONE, OBJECT, params=of("outage", "outage_id")),
    ("PATCH", "/outages/<int:outage_id>"): Rule(
        {Role.OPERATIONS},
        OBJECT,
        params=of("outage", "outage_id"),
        body=body({"description": "Fiberbrudd ved Bjerkestrand"}),
        if_match=True,
    ),
    ("GET", "/probes"): Rule({Role.OPERATIONS}),
    ("POST", "/probes"): Rule(
        {Role.OPERATIONS},
        ok=201,
        body=body(
            {"service_code": OPTIONAL, "url": "https://status.example.org/", "enabled": False}
        ),
    ),
    ("GET", "/probes/<int:probe_id>"): Rule({Role.OPERATIONS}, params=shared("probe", "probe_id")),
    ("PATCH", "/probes/<int:probe_id>"): Rule(
        {Role.OPERATIONS},
        params=shared("probe", "probe_id"),
        body=body({"interval_seconds": 120}),
        if_match=True,
    ),
    ("DELETE", "/probes/<int:probe_id>"): Rule(
        {Role.OPERATIONS}, ok=204, params=shared("probe", "probe_id"), if_match=True
    ),
    ("GET", "/services/<string:code>/availability"): Rule(EVERYONE, params=AVAILABILITY_WINDOW),
    ("GET", "/services/<string:code>/stability"): Rule(EVERYONE, params=AVAILABILITY_WINDOW),
    ("GET", "/reports/sla"): Rule(
        {Role.ORDERER, Role.AGENT, Role.CATALOGUE_MANAGER, Role.OPERATIONS}, FILTER
    ),
}


def api_endpoints(app: Any) -> dict[tuple[str, str], Any]:
    """(method, rule without the prefix) -> the view method, for every /api/v1 endpoint."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.rule in PUBLIC:
            continue
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            view_class = getattr(view, "view_class", None)
            handler = getattr(view_class, method.lower(), view) if view_class else view
            found[(method, rule.rule.removeprefix(PREFIX))] = handler
    return found


@pytest.fixture(scope="module")
def world(backend) -> World:
    url = backend.new_database()
    built = build_world(url)
    yield built
    built.engine.dispose()
    backend.drop(url)


def expected(rule: Rule, role: Role, own: bool) -> int:
    if role not in rule.allowed:
        return 403
    refused = {r: status for r, status, _why in rule.refused}
    if own and role in refused:
        return refused[role]
    if own or role in IT_ROLES or rule.tenancy in (NONE, PUBLIC_OBJECT):
        return rule.ok
    return 404 if rule.tenancy == OBJECT else 403


def call(world: World, method: str, rule_path: str, rule: Rule, role: Role | None, target: str):
    """One request by ``role`` (of OWN) on ``target``'s object, inside a rolled-back transaction."""
    params = rule.params(world, target) if rule.params else {}
    path = PREFIX + rule_path
    for name, value in params.items():
        path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
    headers = world.caller(role).headers if role is not None else {}
    query = {"municipality": target} if rule.tenancy == FILTER else None
    payload = rule.body(world, target, role or Role.ADMIN) if rule.body else None
    kwargs: dict[str, Any] = {"json": payload}
    if rule.form is not None:
        boundary, data = encode_multipart(rule.form(world, target, role or Role.ADMIN))
        kwargs = {"data": data, "content_type": f"multipart/form-data; boundary={boundary}"}
    with world.isolated():
        client = world.client()
        if rule.if_match and role is not None:
            headers = {**headers, "If-Match": world.etag(client, path)}
        return client.open(
            path, method=method, headers=headers, query_string=query, buffered=True, **kwargs
        )


def test_every_endpoint_has_an_entry_and_every_entry_an_endpoint(app):
    endpoints = set(api_endpoints(app))
    assert sorted(endpoints - set(TABLE)) == [], "endpoints missing from the role matrix"
    assert sorted(set(TABLE) - endpoints) == [], "role matrix entries with no endpoint"


def test_the_table_agrees_with_the_roles_on_the_views(app):
    disagreements = {
        key: (sorted(view._roles), sorted(TABLE[key].allowed))
        for key, view in api_endpoints(app).items()
        if hasattr(view, "_roles") and key in TABLE and set(view._roles) != TABLE[key].allowed
    }
    assert disagreements == {}


def can_refuse(rule: Rule) -> bool:
    """Whether some caller gets 403 from the endpoint: its role, or another municipality."""
    return (
        rule.allowed != EVERYONE
        or rule.tenancy in (FILTER, CREATE)
        or any(status == 403 for _role, status, _why in rule.refused)
    )


def test_the_document_lists_403_exactly_where_a_caller_can_get_it(app):
    paths = app.test_client().get(PREFIX + "/openapi.json").json["paths"]
    undocumented, stray = [], []
    for (method, rule_path), rule in sorted(TABLE.items()):
        path = PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule_path)
        documented = "403" in paths[path][method.lower()]["responses"]
        if can_refuse(rule) and not documented:
            undocumented.append((method, rule_path))
        elif documented and not can_refuse(rule):
            stray.append((method, rule_path))
    assert undocumented == [], undocumented
    assert stray == []


@pytest.mark.parametrize("key", sorted(TABLE), ids=lambda k: f"{k[0]} {k[1]}")
def test_role_matrix(world: World, key: tuple[str, str]):
    method, rule_path = key
    rule = TABLE[key]
    targets = [OWN] if rule.tenancy == NONE else [OWN, OTHER]
    failures = []
    for role in Role:
        for target in targets:
            response = call(world, method, rule_path, rule, role, target)
            want = expected(rule, role, target == OWN)
            if response.status_code != want:
                detail = (response.json or {}).get("detail") if response.is_json else None
                failures.append((role.value, target, want, response.status_code, detail))
    anonymous = call(world, method, rule_path, rule, None, OWN)
    if anonymous.status_code != 401:
        failures.append(("no token", OWN, 401, anonymous.status_code, None))
    assert failures == []


def _municipalities_in(item: dict[str, Any]) -> set[str | None]:
    if "municipalities" in item:  # outages: null means every municipality
        return set(item["municipalities"] or [])
    return {item["municipality"]} if "municipality" in item else set()


LISTS = sorted(
    key
    for key, rule in TABLE.items()
    if key[0] == "GET" and "<" not in key[1] and rule.allowed & MUNICIPAL_ROLES
)


@pytest.mark.parametrize("role", sorted(MUNICIPAL_ROLES))
def test_unfiltered_lists_show_a_municipal_caller_only_its_own_municipality(world, role):
    """Without ?municipality=, what a municipal caller sees is still only its own."""
    leaks = []
    for method, rule_path in LISTS:
        if rule_path == "/municipalities":  # the members themselves are public
            continue
        rule = TABLE[(method, rule_path)]
        if role not in rule.allowed:
            continue
        with world.isolated():
            response = world.client().get(PREFIX + rule_path, headers=world.caller(role).headers)
        assert response.status_code == 200, (rule_path, response.json)
        data = response.json
        items = data.get("items", []) if isinstance(data, dict) else data
        for item in items:
            seen = _municipalities_in(item) - {OWN}
            if seen:
                leaks.append((rule_path, item.get("id"), sorted(seen)))
    assert leaks == []


def test_the_world_has_objects_of_both_municipalities_in_every_list(world):
    """The leak test above means something only if an IT caller sees both municipalities."""
    seen: dict[str, set[str | None]] = {}
    for _method, rule_path in LISTS:
        if rule_path in ("/municipalities", "/special-requests/portfolio"):
            continue
        with world.isolated():
            response = world.client().get(PREFIX + rule_path, headers=world.admin.headers)
        data = response.json
        items = data.get("items", []) if isinstance(data, dict) else data
        found = set().union(*(_municipalities_in(i) for i in items)) if items else set()
        if any("municipality" in i or "municipalities" in i for i in items):
            seen[rule_path] = found
    assert {"/tickets", "/orders", "/subscriptions", "/special-requests", "/outages"} <= set(seen)
    assert {path: {OWN, OTHER} <= found for path, found in seen.items()} == dict.fromkeys(
        seen, True
    )


REQUESTER_OWNED = [
    ("GET", "/api/v1/tickets/{}", "ticket", None),
    ("GET", "/api/v1/tickets/{}/comments", "ticket", None),
    ("GET", "/api/v1/tickets/{}/history", "ticket", None),
    ("GET", "/api/v1/tickets/{}/sla", "ticket", None),
    ("GET", "/api/v1/tickets/{}/attachments", "ticket", None),
    ("GET", "/api/v1/attachments/{}", "attachment", None),
    ("GET", "/api/v1/attachments/{}/content", "attachment", None),
    ("POST", "/api/v1/tickets/{}/comments", "ticket", {"body": "Hei", "internal": False}),
    ("GET", "/api/v1/orders/{}", "pending_order", None),
    ("POST", "/api/v1/orders/{}/cancel", "pending_order", {"reason": "Feil"}),
]


@pytest.mark.parametrize(("method", "path", "kind", "body"), REQUESTER_OWNED, ids=str)
def test_a_requester_does_not_see_what_a_colleague_filed(world, method, path, kind, body):
    """Requesters see only their own tickets and orders, even in their own municipality."""
    url = path.format(world.obj(kind, OWN))
    statuses = {}
    for name, caller in (("colleague", world.colleague), ("orderer", world.caller(Role.ORDERER))):
        with world.isolated():
            response = world.client().open(url, method=method, headers=caller.headers, json=body)
        statuses[name] = response.status_code
    assert statuses["colleague"] == 404
    assert statuses["orderer"] in (200, 201)


def test_a_requester_lists_only_what_they_filed(world):
    for path in ("/api/v1/tickets", "/api/v1/orders"):
        with world.isolated():
            colleague = world.client().get(path, headers=world.colleague.headers).json["items"]
            filer = world.client().get(path, headers=world.caller(Role.REQUESTER).headers)
        assert colleague == []
        assert filer.json["items"], path  # the requester who filed them sees them
