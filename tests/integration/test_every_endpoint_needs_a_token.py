"""Generated from the app's URL map, so a new endpoint cannot escape authentication."""

import re

import pytest

pytestmark = pytest.mark.db

PUBLIC = {"/api/v1/openapi.json"}


def api_endpoints(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # Any concrete value works: authentication comes before routing to an object.
            path = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
            yield method, path


def test_url_map_has_api_endpoints(app):
    assert len(list(api_endpoints(app))) >= 5


def test_every_api_endpoint_refuses_a_missing_or_bad_token(app, client):
    failures = []
    for method, path in api_endpoints(app):
        for headers in ({}, {"Authorization": "Bearer kikt_not-a-token"}):
            response = client.open(path, method=method, headers=headers, json={})
            if response.status_code != 401 or response.content_type != "application/problem+json":
                failures.append((method, path, headers, response.status_code))
    assert failures == []
