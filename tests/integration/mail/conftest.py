"""A Dovecot of the module's own; the intake runs against it with a database of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.mailserver import Dovecot, start_dovecot


@pytest.fixture(scope="module")
def dovecot_server() -> Iterator[Dovecot]:
    server = start_dovecot()
    yield server
    server.stop()
    import shutil

    shutil.rmtree(server.root, ignore_errors=True)
