"""The role matrix's web column: which role may open which page (403 page for the others).

Every page without parameters is listed here; a new page must be added (the last test
fails otherwise), so that nobody ships a page without deciding who may see it. Pages
with ids are covered per object by the pages' own tests (another municipality's
object is a 404 page).
"""

from __future__ import annotations

import pytest

from kommune_ikt.core.auth.actor import Role
from tests.support.desk import HOST

pytestmark = pytest.mark.db

EVERYONE = frozenset(Role)
MUNICIPAL = {Role.REQUESTER, Role.ORDERER}
EXPECTED: dict[str, frozenset[Role]] = {
    "/": EVERYONE,
    "/tickets": EVERYONE,
    "/tickets/new": EVERYONE,
    "/catalogue": EVERYONE,
    "/orders": EVERYONE,
    "/profile": EVERYONE,
    "/approvals": frozenset({Role.ORDERER, Role.ADMIN}),
    "/subscriptions": frozenset({Role.ORDERER, Role.AGENT, Role.ADMIN}),
    "/special-requests": frozenset({Role.ORDERER, Role.ADMIN}),
    "/special-requests/new": frozenset({Role.ORDERER, Role.ADMIN}),
    "/costs": EVERYONE - {Role.REQUESTER},
    "/operations/outages": frozenset({Role.OPERATIONS, Role.ADMIN}),
    "/operations/status": frozenset({Role.AGENT, Role.OPERATIONS, Role.ADMIN}),
    "/operations/sla": frozenset({Role.AGENT, Role.OPERATIONS, Role.ADMIN}),
    "/desk": frozenset({Role.AGENT, Role.ADMIN}),
    "/desk/table": frozenset({Role.AGENT, Role.ADMIN}),
    **{
        path: frozenset({Role.ADMIN})
        for path in (
            "/admin/",
            "/admin/municipalities",
            "/admin/users",
            "/admin/routing-rules",
            "/admin/routing-rules/test?title=Skriveren+virker+ikke&type=incident&municipality=1505",
            "/admin/desk/queues",
            "/admin/desk/sla-policies",
            "/admin/desk/sla-policies-new?name=nytt-sett",
            "/admin/desk/calendars",
            "/admin/desk/calendars-new?name=ny-kalender",
        )
    },
    **{
        path: frozenset({Role.CATALOGUE_MANAGER, Role.ADMIN})
        for path in (
            "/catalogue-admin/",
            "/catalogue-admin/services",
            "/catalogue-admin/allocation-keys",
            "/catalogue-admin/budget-years",
            "/catalogue-admin/special-requests",
        )
    },
}
NOT_PAGES = {"/sign-in", "/sign-in/callback", "/sign-in/demo"}


@pytest.mark.parametrize("role", sorted(Role, key=lambda r: r.value), ids=lambda r: r.value)
def test_each_role_opens_exactly_its_pages(sign_in, desk, role):
    user = desk.create_user(role.value, HOST if role in MUNICIPAL else None)
    browser = sign_in(user)
    wrong = {}
    for path, allowed in EXPECTED.items():
        response = browser.get(path)
        expected = 200 if role in allowed else 403
        if expected == 200 and path.split("?")[0].endswith("-new"):
            expected = 303  # these go on to the new item's form
        if response.status_code != expected:
            wrong[path] = (response.status_code, expected)
        if expected == 403:
            assert "Ingen tilgang" in response.get_data(as_text=True), path
    assert not wrong, f"{role.value}: (got, expected) {wrong}"


def test_a_stranger_is_sent_to_sign_in_from_every_page(client):
    for path in EXPECTED:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/sign-in"), path


def test_every_page_is_in_the_matrix(app):
    pages = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal")
        and "GET" in rule.methods
        and not rule.arguments
        and rule.rule not in NOT_PAGES
    }
    listed = {path.split("?")[0] for path in EXPECTED}
    assert pages == listed, (
        f"add to EXPECTED: {sorted(pages - listed)}; gone: {sorted(listed - pages)}"
    )
