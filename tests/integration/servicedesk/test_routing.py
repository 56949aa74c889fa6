"""Queues and routing rules over HTTP."""

import pytest
import sqlalchemy as sa

from servicedesk.models import Queue, RoutingRule, Ticket
from tests.support.desk import HOST, OTHER

pytestmark = pytest.mark.db


@pytest.fixture
def admin(create_user):
    return create_user("admin")


def queue_url(code=""):
    return "/api/v1/queues" + (f"/{code}" if code else "")


def test_fresh_database_has_servicedesk_as_the_one_default(desk, admin):
    queues = desk.client.get(queue_url(), headers=admin.headers).json["items"]
    defaults = [q["code"] for q in queues if q["default"]]
    assert defaults == ["SERVICEDESK"]


def test_admin_creates_queue_with_agents(desk, admin, create_user):
    agent = create_user("agent")
    response = desk.client.post(
        queue_url(),
        headers=admin.headers,
        json={
            "code": "HELSE",
            "name": "Helsesystemer",
            "sector": "helse",
            "auto_assign": True,
            "agents": [agent.id],
        },
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["code"], body["sector"], body["auto_assign"], body["agents"], body["default"]) == (
        "HELSE",
        "helse",
        True,
        [agent.id],
        False,
    )


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"code": "helse", "name": "x"}, "code", 422),
        ({"code": "SERVICEDESK", "name": "x"}, "code", 409),
        ({"code": "NY", "name": ""}, "name", 422),
        ({"code": "NY", "name": "x", "agents": [999_999]}, "agents", 422),
    ],
)
def test_bad_queue_is_refused(desk, admin, body, field, status):
    before = desk.counts()
    response = desk.client.post(queue_url(), headers=admin.headers, json=body)
    assert response.status_code == status
    assert field in response.json["errors"]
    assert desk.counts() == before


def test_making_a_queue_default_moves_the_default(desk, admin):
    desk.client.post(
        queue_url(), headers=admin.headers, json={"code": "NY", "name": "Ny", "default": True}
    )
    queues = desk.client.get(queue_url(), headers=admin.headers).json["items"]
    assert [q["code"] for q in queues if q["default"]] == ["NY"]


def _patch_queue(desk, admin, code, body):
    etag = desk.client.get(queue_url(code), headers=admin.headers).headers["ETag"]
    return desk.client.patch(
        queue_url(code), headers={**admin.headers, "If-Match": etag}, json=body
    )


def test_patch_queue_sets_default_and_agents(desk, admin, create_user):
    agent = create_user("agent")
    desk.add_queue("SKOLE")
    response = _patch_queue(
        desk, admin, "SKOLE", {"default": True, "agents": [agent.id], "auto_assign": True}
    )
    assert response.status_code == 200, response.json
    assert (response.json["default"], response.json["agents"]) == (True, [agent.id])
    assert desk.session.get(Queue, "SERVICEDESK", populate_existing=True).is_default is False


def test_the_default_cannot_be_unset_without_a_successor(desk, admin):
    response = _patch_queue(desk, admin, "SERVICEDESK", {"default": False})
    assert response.status_code == 409
    assert "default" in response.json["errors"]


def test_patch_queue_needs_if_match(desk, admin):
    response = desk.client.patch(
        queue_url("SERVICEDESK"), headers=admin.headers, json={"name": "x"}
    )
    assert response.status_code == 428


def test_renaming_a_queue_follows_into_its_tickets(desk, admin, create_user):
    ticket_id = desk.ticket(create_user("requester", HOST))["id"]
    response = _patch_queue(desk, admin, "SERVICEDESK", {"code": "FORSTELINJE"})
    assert response.status_code == 200, response.json
    assert desk.get(admin, ticket_id).json["queue"] == "FORSTELINJE"


@pytest.mark.parametrize("role", ["requester", "orderer"])
def test_municipal_roles_cannot_see_queues_or_rules(desk, create_user, role):
    user = create_user(role, HOST)
    assert desk.client.get(queue_url(), headers=user.headers).status_code == 403
    assert desk.client.get("/api/v1/routing-rules", headers=user.headers).status_code == 403


def test_agent_reads_but_does_not_manage_queues(desk, create_user):
    agent = create_user("agent")
    assert desk.client.get(queue_url(), headers=agent.headers).status_code == 200
    response = desk.client.post(queue_url(), headers=agent.headers, json={"code": "X", "name": "X"})
    assert response.status_code == 403


def _rule(desk, admin, **body):
    response = desk.client.post("/api/v1/routing-rules", headers=admin.headers, json=body)
    assert response.status_code == 201, response.json
    return response.json


def test_rule_round_trip(desk, admin):
    desk.add_queue("HELSE")
    rule = _rule(
        desk,
        admin,
        position=10,
        name="Journal",
        queue="HELSE",
        match={"keywords": ["journal", "DIPS"], "type": "incident"},
    )
    assert (rule["position"], rule["queue"], rule["match"]) == (
        10,
        "HELSE",
        {"keywords": ["journal", "DIPS"], "type": "incident"},
    )
    listed = desk.client.get("/api/v1/routing-rules", headers=admin.headers).json["items"]
    assert [r["id"] for r in listed] == [rule["id"]]


def test_rules_are_tried_by_position_first_match_wins(desk, admin, create_user):
    for code in ("HELSE", "SKOLE", "NETT"):
        desk.add_queue(code)
    _rule(desk, admin, position=30, queue="NETT", match={"keywords": ["nettverk"]})
    _rule(desk, admin, position=10, queue="SKOLE", match={"keywords": ["itslearning"]})
    _rule(
        desk,
        admin,
        position=20,
        queue="HELSE",
        match={"keywords": ["nettverk"], "municipality": HOST},
    )
    requester = create_user("requester", HOST)
    assert desk.ticket(requester, title="Nettverk nede på sykehjemmet")["queue"] == "HELSE"
    other = create_user("requester", OTHER)
    assert desk.ticket(other, title="Nettverk nede på skolen")["queue"] == "NETT"


@pytest.mark.parametrize(
    ("match", "routed"),
    [
        ({"keywords": ["skrive"]}, False),
        ({"keywords": ["skriveren"]}, True),
        ({"keywords": ["RÅDHUSET"]}, True),
        ({"type": "incident"}, True),
        ({"type": "service_request"}, False),
        ({"priority": 3}, True),
        ({"priority": 1}, False),
        ({"municipality": OTHER}, False),
        ({"category": "skrivere"}, True),
        ({"service_code": "FAGSYS-EPJ"}, False),
    ],
)
def test_each_criterion_decides(desk, admin, create_user, create_service, match, routed):
    create_service("FAGSYS-EPJ")
    desk.add_queue("SPESIAL")
    _rule(desk, admin, position=1, queue="SPESIAL", match=match)
    ticket = desk.ticket(create_user("requester", HOST), category="Skrivere")
    assert (ticket["queue"] == "SPESIAL") is routed


def test_service_criterion_matches_the_tickets_service(desk, admin, create_user, create_service):
    create_service("FAGSYS-EPJ")
    desk.add_queue("HELSE")
    _rule(desk, admin, position=1, queue="HELSE", match={"service_code": "FAGSYS-EPJ"})
    ticket = desk.ticket(create_user("requester", HOST), service_code="FAGSYS-EPJ")
    assert ticket["queue"] == "HELSE"


def test_no_matching_rule_sends_to_the_default_queue(desk, admin, create_user):
    desk.add_queue("SKOLE")
    _rule(desk, admin, position=1, queue="SKOLE", match={"keywords": ["itslearning"]})
    assert desk.ticket(create_user("requester", HOST))["queue"] == "SERVICEDESK"


def test_routing_test_answers_without_creating(desk, admin):
    desk.add_queue("HELSE")
    rule = _rule(
        desk, admin, position=5, name="Helse", queue="HELSE", match={"keywords": ["journal"]}
    )
    before = desk.counts()
    response = desk.client.post(
        "/api/v1/routing-rules/test",
        headers=admin.headers,
        json={
            "title": "Journal låser seg",
            "description": "",
            "type": "incident",
            "impact": 1,
            "urgency": 2,
            "municipality": HOST,
        },
    )
    assert response.status_code == 200, response.json
    assert response.json == {
        "queue": "HELSE",
        "rule": {"id": rule["id"], "position": 5, "name": "Helse"},
        "priority": 2,
    }
    assert desk.counts() == before


def test_routing_test_without_match_names_the_default(desk, admin):
    response = desk.client.post(
        "/api/v1/routing-rules/test",
        headers=admin.headers,
        json={"title": "Hjelp", "type": "incident", "municipality": HOST},
    )
    assert response.json["queue"] == "SERVICEDESK" and response.json["rule"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"position": 1, "queue": "FINNES-IKKE"}, "queue"),
        ({"queue": "SERVICEDESK"}, "position"),
        (
            {"position": 1, "queue": "SERVICEDESK", "match": {"service_code": "FINNES-IKKE"}},
            "match.service_code",
        ),
        (
            {"position": 1, "queue": "SERVICEDESK", "match": {"municipality": "9999"}},
            "match.municipality",
        ),
        ({"position": 1, "queue": "SERVICEDESK", "match": {"priority": 5}}, "match.priority"),
        ({"position": 1, "queue": "SERVICEDESK", "match": {"keywords": [""]}}, "match.keywords.0"),
        ({"position": 1, "queue": "SERVICEDESK", "match": {"colour": "blå"}}, "match.colour"),
    ],
)
def test_bad_rule_is_refused_naming_the_field(desk, admin, body, field):
    before = desk.counts()
    response = desk.client.post("/api/v1/routing-rules", headers=admin.headers, json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert desk.counts() == before
    assert desk.session.scalar(sa.select(sa.func.count()).select_from(RoutingRule)) == 0


def test_patch_and_delete_rule(desk, admin):
    desk.add_queue("HELSE")
    rule = _rule(desk, admin, position=5, queue="SERVICEDESK", match={"keywords": ["journal"]})
    url = f"/api/v1/routing-rules/{rule['id']}"
    etag = desk.client.get(url, headers=admin.headers).headers["ETag"]
    changed = desk.client.patch(
        url, headers={**admin.headers, "If-Match": etag}, json={"queue": "HELSE", "position": 1}
    )
    assert changed.status_code == 200, changed.json
    assert (changed.json["queue"], changed.json["position"], changed.json["match"]) == (
        "HELSE",
        1,
        {"keywords": ["journal"]},
    )
    stale = desk.client.patch(
        url, headers={**admin.headers, "If-Match": etag}, json={"position": 2}
    )
    assert stale.status_code == 412
    assert desk.client.delete(url, headers=admin.headers).status_code == 204
    assert desk.client.get(url, headers=admin.headers).status_code == 404


def test_agent_cannot_change_rules(desk, create_user):
    agent = create_user("agent")
    response = desk.client.post(
        "/api/v1/routing-rules", headers=agent.headers, json={"position": 1, "queue": "SERVICEDESK"}
    )
    assert response.status_code == 403


def test_routed_ticket_keeps_its_queue_when_rules_change(desk, admin, create_user):
    desk.add_queue("HELSE")
    rule = _rule(desk, admin, position=1, queue="HELSE", match={"keywords": ["journal"]})
    ticket_id = desk.ticket(create_user("requester", HOST), title="Journal henger")["id"]
    desk.client.delete(f"/api/v1/routing-rules/{rule['id']}", headers=admin.headers)
    assert desk.session.get(Ticket, ticket_id, populate_existing=True).queue_code == "HELSE"
