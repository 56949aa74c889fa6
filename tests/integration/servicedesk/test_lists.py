"""Ticket lists: who sees what, filters, keyset pagination and full-text search."""

from datetime import timedelta

import pytest

from servicedesk.models import Ticket
from tests.support.desk import HOST, OTHER

pytestmark = pytest.mark.db


@pytest.fixture
def people(create_user):
    return {
        "kari": create_user("requester", HOST),
        "ola": create_user("requester", HOST),
        "orderer": create_user("orderer", HOST),
        "siri": create_user("requester", OTHER),
        "agent": create_user("agent"),
    }


def numbers(response):
    assert response.status_code == 200, response.json
    return [t["number"] for t in response.json["items"]]


def test_requester_sees_only_tickets_they_filed(desk, people):
    mine = desk.ticket(people["kari"])["number"]
    desk.ticket(people["ola"])
    desk.ticket(people["siri"])
    assert numbers(desk.list(people["kari"])) == [mine]


def test_orderer_sees_their_municipalitys_tickets(desk, people):
    expected = [desk.ticket(people[who])["number"] for who in ("kari", "ola", "orderer")]
    desk.ticket(people["siri"])
    assert numbers(desk.list(people["orderer"])) == expected[::-1]


@pytest.mark.parametrize("role", ["agent", "catalogue_manager", "operations", "admin"])
def test_it_roles_see_every_municipality(desk, people, create_user, role):
    desk.ticket(people["kari"])
    desk.ticket(people["siri"])
    assert len(numbers(desk.list(create_user(role)))) == 2


@pytest.mark.parametrize("who", ["kari", "orderer"])
def test_municipal_filter_on_another_municipality_is_403(desk, people, who):
    assert desk.list(people[who], municipality=OTHER).status_code == 403


def test_municipal_filter_on_own_municipality_is_allowed(desk, people):
    desk.ticket(people["kari"])
    assert len(numbers(desk.list(people["orderer"], municipality=HOST))) == 1


def test_filters_combine(desk, people):
    agent = people["agent"]
    desk.add_queue("NETT")
    a = desk.ticket(agent, municipality=HOST, queue="NETT", impact=1, urgency=1)
    desk.ticket(agent, municipality=OTHER, queue="NETT", impact=1, urgency=1)
    desk.ticket(agent, municipality=HOST, impact=3, urgency=3, type="service_request")
    desk.change(agent, a["id"], assignee=agent.id)
    assert numbers(desk.list(agent, queue="NETT", municipality=HOST)) == [a["number"]]
    assert numbers(desk.list(agent, status="assigned")) == [a["number"]]
    assert numbers(desk.list(agent, priority=1, assignee=agent.id)) == [a["number"]]
    assert numbers(desk.list(agent, assignee="me")) == [a["number"]]
    assert len(numbers(desk.list(agent, assignee="none"))) == 2
    assert len(numbers(desk.list(agent, type="service_request"))) == 1


def test_created_from_and_to_bound_the_list(desk, people):
    agent = people["agent"]
    ids = [desk.ticket(people["kari"])["id"] for _ in range(3)]
    base = desk.session.get(Ticket, ids[0]).created_at
    for days, ticket_id in enumerate(ids):
        ticket = desk.session.get(Ticket, ticket_id, populate_existing=True)
        ticket.created_at = base - timedelta(days=10 * days)
        desk.session.commit()
    middle = desk.session.get(Ticket, ids[1])
    listed = desk.list(
        agent,
        created_from=(base - timedelta(days=15)).isoformat(),
        created_to=(base - timedelta(days=5)).isoformat(),
    )
    assert numbers(listed) == [middle.number]


def test_created_to_before_created_from_is_422(desk, people):
    response = desk.list(
        people["agent"],
        created_from="2026-02-01T00:00:00+01:00",
        created_to="2026-01-01T00:00:00+01:00",
    )
    assert response.status_code == 422
    assert "created_to" in response.json["errors"]


def _all_pages(desk, user, limit, between_pages=None, **query):
    seen, cursor = [], None
    while True:
        params = {"limit": limit, **query, **({"cursor": cursor} if cursor else {})}
        body = desk.list(user, **params).json
        seen.extend(t["number"] for t in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        if between_pages:
            between_pages()


def test_pages_neither_repeat_nor_skip_while_tickets_are_added(desk, people):
    kari, agent = people["kari"], people["agent"]
    existing = [desk.ticket(kari)["number"] for _ in range(7)]
    seen = _all_pages(desk, agent, 3, between_pages=lambda: desk.ticket(kari))
    assert seen == existing[::-1]


def test_tickets_created_in_the_same_instant_are_ordered_by_id(desk, people):
    ids = [desk.ticket(people["kari"])["id"] for _ in range(4)]
    same = desk.session.get(Ticket, ids[0]).created_at
    for ticket_id in ids:
        desk.session.get(Ticket, ticket_id).created_at = same
    desk.session.commit()
    seen = _all_pages(desk, people["agent"], 1)
    assert len(seen) == 4 and len(set(seen)) == 4


def test_access_rules_apply_before_paging(desk, people):
    kari, ola = people["kari"], people["ola"]
    mine = []
    for _ in range(3):
        mine.append(desk.ticket(kari)["number"])
        desk.ticket(ola)
        desk.ticket(people["siri"])
    first = desk.list(kari, limit=2).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert _all_pages(desk, kari, 2) == mine[::-1]


def test_search_uses_norwegian_word_forms(desk, people):
    kari, agent = people["kari"], people["agent"]
    printer = desk.ticket(kari, title="Skriveren virker ikke", description="Tom for toner.")
    desk.ticket(kari, title="Passord utløpt", description="Får ikke logget inn i Visma.")
    assert numbers(desk.list(agent, q="skriver")) == [printer["number"]]
    assert numbers(desk.list(agent, q="SKRIVER toner")) == [printer["number"]]
    assert numbers(desk.list(agent, q="skriver visma")) == []


def test_search_finds_æøå_words(desk, people):
    ticket = desk.ticket(people["kari"], title="Får ikke åpnet pasientjournal på sykehjemmet")
    assert numbers(desk.list(people["agent"], q="åpnet sykehjemmet")) == [ticket["number"]]


def test_search_finds_the_number(desk, people):
    ticket = desk.ticket(people["kari"])
    desk.ticket(people["kari"])
    assert numbers(desk.list(people["agent"], q=ticket["number"].lower())) == [ticket["number"]]


def test_search_finds_public_comments(desk, people):
    ticket = desk.ticket(people["kari"])
    desk.ticket(people["kari"])
    desk.comment(people["agent"], ticket["id"], "Byttet fikseringsenhet i maskinen.")
    assert numbers(desk.list(people["kari"], q="fikseringsenhet")) == [ticket["number"]]


def test_search_respects_access_rules(desk, people):
    desk.ticket(people["ola"], title="Skriveren virker ikke")
    mine = desk.ticket(people["kari"], title="Skriveren virker ikke")
    assert numbers(desk.list(people["kari"], q="skriveren")) == [mine["number"]]


def test_search_combines_with_filters_and_pages(desk, people):
    agent = people["agent"]
    made = [desk.ticket(people["kari"], title=f"Skriver nummer {i}")["number"] for i in range(5)]
    desk.ticket(people["kari"], title="Noe helt annet", description="Annet.")
    assert _all_pages(desk, agent, 2, q="skriver", status="new") == made[::-1]


@pytest.mark.parametrize("q", ["", "   ", "!!!", "ikke"])
def test_search_without_words_finds_nothing_or_everything_safely(desk, people, q):
    desk.ticket(people["kari"])
    assert desk.list(people["agent"], q=q).status_code == 200


def test_list_items_carry_the_sla_object(desk, people):
    desk.ticket(people["kari"])
    item = desk.list(people["agent"]).json["items"][0]
    assert "response_due" in item["sla"]


def test_list_query_count_does_not_grow_with_the_page(desk, people, count_queries):
    for _ in range(3):
        desk.ticket(people["kari"])
    desk.list(people["agent"])  # the token's first use records last_used_at once
    with count_queries() as small:
        desk.list(people["agent"], limit=1)
    for _ in range(10):
        desk.ticket(people["kari"])
    with count_queries() as large:
        desk.list(people["agent"], limit=13)
    assert len(large) == len(small), "\n".join(large)
