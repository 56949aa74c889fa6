"""A real `kommune-ikt serve` process with the demo loaded, driven over HTTP."""

import pytest

pytestmark = [pytest.mark.db, pytest.mark.e2e]


def test_demo_service_answers_health_docs_and_authenticated_lists(server_factory):
    server = server_factory()
    out = server.cli("demo", "load")
    tokens = {line.split()[1]: line.split()[2] for line in out.splitlines() if "@" in line}
    admin_token = next(t for email, t in tokens.items() if email.startswith("admin@"))
    server.start(workers=2)

    assert server.request("GET", "/healthz").json == {"status": "ok"}
    assert server.request("GET", "/readyz").status == 200
    docs = server.request("GET", "/api/docs")
    assert docs.status == 200 and b"swagger" in docs.body.lower()
    spec = server.request("GET", "/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/api/v1/municipalities" in spec["paths"]

    listed = server.request("GET", "/api/v1/municipalities", token=admin_token)
    assert listed.status == 200
    # IKT Orkidé's nine current members, with SSB's 2024 populations.
    names = {m["name"]: m["population"] for m in listed.json["items"]}
    assert len(names) == 9 and names["Kristiansund"] == 24404

    assert server.request("GET", "/api/v1/municipalities").status == 401


def test_user_add_prints_a_working_token_alone_on_the_last_line(server_factory):
    server = server_factory()
    token = server.add_user("drift@orkide.example", "operations")
    server.start(workers=1)
    me = server.request("GET", "/api/v1/me", token=token)
    assert me.status == 200 and me.json["role"] == "operations"
