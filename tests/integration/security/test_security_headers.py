"""Security headers on every response, and /api/docs served from our own files (issue 15, item 20)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.db

CSP = "Content-Security-Policy"


class Page(HTMLParser):
    """What a browser would fetch for a page, and any inline script or style it has."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(values[name])
        if "style" in values or tag == "style":
            self.inline.append(f"<{tag} style>")
        if any(name.startswith("on") for name in values):
            self.inline.append(f"<{tag} on...>")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(f"<script>{data.strip()[:40]}</script>")


def assert_security_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers[CSP]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy and "http" not in policy


def test_the_docs_page_and_everything_it_loads_are_our_own(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert_security_headers(response)
    html = response.get_data(as_text=True)
    page = Page()
    page.feed(html)
    assert page.inline == []
    assert "cdn" not in html.lower() and "//" not in "".join(page.urls)
    scripts = [u for u in page.urls if u.endswith(".js")]
    assert len(scripts) == 2 and len(page.urls) >= 4
    for url in page.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        asset.close()  # a file response: its file is closed with the response
        assert asset.status_code == 200, url
        assert_security_headers(asset)
    # The script that starts Swagger UI reads the document's address from the page.
    openapi = re.search(r'data-openapi-url="([^"]+)"', html).group(1)
    assert openapi.startswith("/")
    document = client.get(openapi)
    assert document.status_code == 200 and document.json["openapi"].startswith("3.")
    assert "data-openapi-url" in client.get(scripts[-1]).get_data(as_text=True)


def test_only_the_bundle_files_the_page_uses_are_served(client):
    assert client.get("/api/docs/assets/index.html").status_code == 404
    assert client.get("/api/docs/assets/..%2F__init__.py").status_code == 404


def test_headers_on_json_problem_metrics_health_and_docs(client, create_user):
    agent = create_user("agent")
    responses = {
        "json": client.get("/api/v1/me", headers=agent.headers),
        "problem 401": client.get("/api/v1/me"),
        "problem 404": client.get("/api/v1/services/NOPE", headers=agent.headers),
        "unknown path": client.get("/nothing-here"),
        "metrics": client.get("/metrics"),
        "health": client.get("/healthz"),
        "openapi": client.get("/api/v1/openapi.json"),
        "docs": client.get("/api/docs"),
    }
    assert responses["json"].status_code == 200
    assert responses["problem 401"].mimetype == "application/problem+json"
    assert responses["problem 404"].status_code == 404
    assert responses["metrics"].status_code == 200
    for name, response in responses.items():
        try:
            assert_security_headers(response)
        except (AssertionError, KeyError) as exc:
            raise AssertionError(f"{name}: {exc!r}") from exc


def test_responses_carrying_a_secret_are_not_stored(client, create_user):
    admin = create_user("admin")
    created = client.post(
        "/api/v1/users",
        headers=admin.headers,
        json={"email": "ny@test.example", "role": "agent"},
    )
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    token = client.post(
        f"/api/v1/users/{created.json['id']}/tokens", headers=admin.headers, json={"name": "cli"}
    )
    assert token.status_code == 201 and token.json["token"].startswith("kikt_")
    assert token.headers["Cache-Control"] == "no-store"
    assert_security_headers(token)
