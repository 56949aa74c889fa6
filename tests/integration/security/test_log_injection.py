"""A log line cannot be forged through untrusted text (issue 15, item 16)."""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.db

FORGED = "WARNING kommune_ikt.web.edge: admin authenticated from 10.0.0.1"
BREAKS = ["%0d%0a", "%0a", "%0d", "%e2%80%a8", "%c2%85", "%0b", "%0c", "%1b[2K"]


@pytest.mark.parametrize("breaker", BREAKS)
def test_a_failed_authentication_line_cannot_be_forged_through_the_path(client, caplog, breaker):
    path = f"/api/v1/me{breaker}{FORGED.replace(' ', '%20')}"
    with caplog.at_level(logging.WARNING, logger="kommune_ikt.web.edge"):
        response = client.get(path, headers={"Authorization": "Bearer kikt_not-a-token"})
    assert response.status_code == 401
    lines = [
        logging.Formatter("%(levelname)s %(name)s: %(message)s").format(r)
        for r in caplog.records
        if "failed bearer authentication" in r.getMessage()
    ]
    assert len(lines) == 1
    (line,) = lines
    assert len(line.splitlines()) == 1, line
    assert "\x1b" not in line and "\u2028" not in line and "\x85" not in line
    assert FORGED in line  # still there for the operator, on the same line, escaped


def test_an_untrusted_exception_message_cannot_break_out_of_its_traceback(app, caplog):
    log = logging.getLogger("kommune_ikt.test")  # the app (fixture) installed the escaping
    with caplog.at_level(logging.ERROR, logger="kommune_ikt.test"):
        try:
            raise ValueError("bad title\nINFO kommune_ikt.web.edge: all is well")
        except ValueError:
            log.exception("could not file %s", "ticket\r\nINFO forged")
    text = logging.Formatter("%(levelname)s %(message)s").format(caplog.records[0])
    lines = text.splitlines()
    assert lines[0] == "ERROR could not file ticket\\r\\nINFO forged"
    assert lines[-1] == "ValueError: bad title\\nINFO kommune_ikt.web.edge: all is well"
    assert not any(line.startswith("INFO") for line in lines)
