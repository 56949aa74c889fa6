"""Fault fixtures: the machine's PostgreSQL cluster, stopped and always started again."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.faults import OPT_IN, Cluster, skip_or_fail
from tests.support.machine import IN_CI


@pytest.fixture
def pg_cluster(backend) -> Iterator[Cluster]:
    """The cluster to stop and start; always running again (and pools refreshed) afterwards.

    Stopping the machine's PostgreSQL breaks every other test run using it at that
    moment, so outside CI this runs only when asked for (KOMMUNE_IKT_FAULTS=1).
    """
    if backend.name != "postgresql":
        pytest.skip("a PostgreSQL fault")
    if not IN_CI and os.environ.get(OPT_IN, "") not in {"1", "true", "yes"}:
        pytest.skip(
            f"stops the machine's PostgreSQL for a few seconds, which breaks other test runs "
            f"using it; runs under CI=true, or set {OPT_IN}=1"
        )
    if os.geteuid() != 0:
        skip_or_fail("stopping the PostgreSQL cluster needs root")
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        skip_or_fail("pg_ctlcluster (Debian's postgresql-common) is not installed")
    versions = sorted(os.listdir("/etc/postgresql"))
    if not versions:
        skip_or_fail("no cluster under /etc/postgresql")
    cluster = Cluster(versions[-1])
    if not cluster.running():
        skip_or_fail(f"cluster {cluster.version}/main is not running")
    try:
        yield cluster
    finally:
        # Whatever happened above, PostgreSQL runs again: other tests and people use it.
        try:
            cluster.start()
        finally:
            cluster.wait_accepting()
            # The suite's admin engine has no pre-ping: its pooled connection died.
            if backend.admin is not None:
                backend.admin.dispose()
