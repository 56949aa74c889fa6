"""What a browser downloads: pages, styles and scripts compressed, cached for a year once
versioned; the API's JSON left as it is."""

from __future__ import annotations

import re

import pytest

from tests.support.desk import HOST

pytestmark = pytest.mark.db

ENCODINGS = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br, zstd"}
ASSET = re.compile(r'(?:href|src)="(/static/portal/[^"]+)"')


def test_home_page_and_its_assets_weigh_under_150_kb_compressed(desk, sign_in):
    browser = sign_in(desk.create_user("requester", HOST))
    page = browser.get("/", environ_base=ENCODINGS)
    assert page.status_code == 200
    assert page.headers["Content-Encoding"] in {"zstd", "br", "gzip", "deflate"}
    total = len(page.get_data())
    assert total < 30_000, total  # a later visit: the assets come from the browser's cache
    html = page.get_data(as_text=False)
    urls = ASSET.findall(browser.get("/").get_data(as_text=True))
    assert len(urls) >= 3, urls
    for url in urls:
        asset = browser.get(url.replace("&amp;", "&"), environ_base=ENCODINGS)
        assert asset.status_code == 200
        assert asset.headers.get("Content-Encoding"), url
        assert "immutable" in asset.headers["Cache-Control"]
        total += len(asset.get_data())
    assert html
    assert total < 150_000, total


def test_the_api_json_is_not_compressed(client, desk):
    agent = desk.create_user("agent")
    response = client.get("/api/v1/tickets", headers=agent.headers, environ_base=ENCODINGS)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.get_json()["items"] == []
