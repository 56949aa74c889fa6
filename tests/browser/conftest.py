"""Browser test fixtures: one headless Chromium per run, and a live server per database.

Chromium and its driver come from Debian (``/usr/bin/chromium``,
``/usr/bin/chromedriver``; CI installs them with ops/ci-system-packages.sh).
Without them the browser tests skip, except under ``CI=true``, where they fail,
as an unreachable PostgreSQL does (tests/conftest.py).

The live server is the app itself in a thread (werkzeug's threaded server) on
127.0.0.1 at a free port, on a database of its own (SQLite and PostgreSQL, the
``backend`` parameter), with the demo loaded, ``DEMO_SIGNIN`` on and sign-in
through a real OpenID provider (oidc-provider-mock, in another thread). Being
in the process, tests can set things up through the same service functions the
pages use (``live.session()``).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from kommune_ikt.app import create_app
from tests.support.databases import Backend
from tests.support.machine import IN_CI, free_port
from tests.support.pages import (
    CHROME_FLAGS,
    CHROMEDRIVER,
    CHROMIUM,
    LANGUAGE,
    WIDE,
    Live,
    chromium_missing,
)


@pytest.fixture(scope="session")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The run's one headless Chromium (WebDriver), with a fresh profile."""
    missing = chromium_missing()
    if missing is not None:
        if IN_CI:
            pytest.fail(f"{missing} is required under CI: install chromium and chromium-driver")
        pytest.skip(f"{missing} not installed (Debian: chromium, chromium-driver); CI=true fails")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--lang=nb-NO")
    options.add_experimental_option("prefs", {"intl.accept_languages": LANGUAGE})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[str]:
    """A real OpenID provider (oidc-provider-mock) in a thread; its issuer URL."""
    from oidc_provider_mock import run_server_in_thread

    before = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the mock speaks plain HTTP
    try:
        with run_server_in_thread(require_nonce=True) as server:
            yield f"http://localhost:{server.server_port}"
    finally:
        if before is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = before


@pytest.fixture(scope="session")
def live(
    backend: Backend, oidc_provider: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """The app serving the demo on 127.0.0.1:<free port>, on this backend's database."""
    from kommune_ikt.demo import load_demo

    database_url = backend.new_database()
    blobs: Path = tmp_path_factory.mktemp(f"browser-blobs-{backend.name}")
    app = create_app(
        {
            "database_url": database_url,
            "secret_key": "browser-tests",
            "demo_signin": True,
            "oidc_issuer": oidc_provider,
            "oidc_client_id": "kommune-ikt",
            "oidc_client_secret": "hemmelig",
            "attachment_dir": str(blobs),
            "clamd_address": None,
            "auth_failures_per_minute": 10_000,
        }
    )
    with app.extensions["kommune_ikt.db"].sessionmaker() as session:
        load_demo(session)
        session.commit()
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.server_port}", app, oidc_provider)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        app.extensions["kommune_ikt.db"].engine.dispose()
        backend.drop(database_url)
        shutil.rmtree(blobs, ignore_errors=True)


@pytest.fixture
def browser(chrome: Any, live: Live) -> Any:
    """The run's browser, signed out of the live server, at desktop width."""
    chrome.get(live.url + "/healthz")
    chrome.delete_all_cookies()
    chrome.set_window_size(*WIDE)
    return chrome
