"""Every collection answers {items, next_cursor} and pages with limit/cursor (issue 15, item 9)."""

from __future__ import annotations

import pytest

from kommune_ikt.core.pagination import paginate_list

pytestmark = pytest.mark.db

DEFAULT_POLICIES = [
    {
        "priority": p,
        "response_minutes": 60 * p,
        "resolution_minutes": 240 * p,
        "calendar": "business",
    }
    for p in (1, 2, 3, 4)
]


@pytest.fixture
def filled(client, create_user, create_municipality):
    """At least three of everything an admin can list."""
    admin = create_user("admin")
    for number in ("1505", "1576", "2184"):
        create_municipality(number)
    for code in ("HELSE", "SKOLE"):
        r = client.post("/api/v1/queues", headers=admin.headers, json={"code": code, "name": code})
        assert r.status_code == 201, r.json
    for position, queue in ((10, "HELSE"), (20, "SKOLE"), (30, "HELSE")):
        body = {"position": position, "match": {"category": f"c{position}"}, "queue": queue}
        r = client.post("/api/v1/routing-rules", headers=admin.headers, json=body)
        assert r.status_code == 201, r.json
    calendar = {"hours": {"mon": [["08:00", "16:00"]]}, "holiday_country": "NO"}
    r = client.put("/api/v1/calendars/skole", headers=admin.headers, json=calendar)
    assert r.status_code == 201, r.json
    for name in ("gull", "solv"):
        body = {"policies": DEFAULT_POLICIES}
        r = client.put(f"/api/v1/sla-policies/{name}", headers=admin.headers, json=body)
        assert r.status_code == 201, r.json
        r = client.put(f"/api/v1/sla-policies/{name}", headers=admin.headers, json=body)
    r = client.put("/api/v1/sla-policies/gull", headers=admin.headers, json=body)
    return admin


def walk(client, headers, url):
    """Every item, one page of one at a time; each page has the contract's shape."""
    seen, cursor = [], None
    for _ in range(50):
        sep = "&" if "?" in url else "?"
        page_url = f"{url}{sep}limit=1" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(page_url, headers=headers)
        assert response.status_code == 200, (page_url, response.json)
        body = response.json
        assert set(body) == {"items", "next_cursor"}, url
        assert len(body["items"]) <= 1
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError(f"{url} never ended")


@pytest.mark.parametrize(
    ("url", "key", "at_least"),
    [
        ("/api/v1/municipalities", "number", 3),
        ("/api/v1/queues", "code", 3),
        ("/api/v1/routing-rules", "id", 3),
        ("/api/v1/calendars", "name", 3),
        ("/api/v1/sla-policies", "name", 3),
        ("/api/v1/sla-policies/gull/changes", "id", 3),
    ],
)
def test_collection_pages_through_every_item_once(client, filled, url, key, at_least):
    everything = client.get(f"{url}?limit=200", headers=filled.headers).json
    assert everything["next_cursor"] is None
    paged = walk(client, filled.headers, url)
    assert [item[key] for item in paged] == [item[key] for item in everything["items"]]
    assert len(paged) >= at_least


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/municipalities",
        "/api/v1/queues",
        "/api/v1/routing-rules",
        "/api/v1/calendars",
        "/api/v1/sla-policies",
        "/api/v1/sla-policies/default/changes",
        "/api/v1/special-requests/portfolio",
        "/api/v1/allocation-keys",
    ],
)
def test_bad_limit_or_cursor_is_4xx_naming_it(client, create_user, url):
    admin = create_user("admin")
    for query, field in (("limit=0", "limit"), ("limit=201", "limit"), ("cursor=%25%25", "cursor")):
        response = client.get(f"{url}?{query}", headers=admin.headers)
        assert 400 <= response.status_code < 500, (url, query)
        assert field in response.json.get("errors", {}), (url, query, response.json)


def test_routing_rules_page_in_the_order_they_are_tried(client, filled):
    rules = walk(client, filled.headers, "/api/v1/routing-rules")
    assert [r["position"] for r in rules] == sorted(r["position"] for r in rules)


def test_a_page_of_a_list_is_stable_under_inserts():
    rows = [("b",), ("d",)]
    first = paginate_list(rows, lambda r: r, [str], limit=1)
    assert first.items == [("b",)]
    rows = [("a",), ("b",), ("c",), ("d",)]  # two inserted, one before the cursor
    second = paginate_list(rows, lambda r: r, [str], limit=5, cursor=first.next_cursor)
    assert second.items == [("c",), ("d",)] and second.next_cursor is None
