"""Supply chain: bandit finds nothing in the shipped code; the image installs a complete, hashed lock."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ["kommune_ikt", "service_catalog", "servicedesk", "metrics", "migrations", "ops"]
LOCK = ROOT / "ops" / "requirements.lock"


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from ops/requirements.lock (pip-compile's format)."""
    entries: dict[str, tuple[str, list[str]]] = {}
    text = LOCK.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)(.*)$", line)
        assert match, f"not a pinned requirement: {line!r}"
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", match.group(3))
        entries[canonicalize_name(match.group(1))] = (match.group(2), hashes)
    return entries


def test_bandit_finds_nothing_in_the_shipped_code():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bandit",
            "-c",
            "pyproject.toml",
            "-q",
            "-f",
            "json",
            "-r",
            *SHIPPED,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
    ]
    assert findings == []
    assert report["errors"] == []
    assert done.returncode == 0, done.stderr


def test_the_lock_pins_every_runtime_dependency_within_pyproject_ranges():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = locked()
    outside = {}
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        version = lock.get(name, (None, []))[0]
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            outside[name] = (str(requirement.specifier), version)
    assert outside == {}, "pyproject.toml changed: regenerate the lock with ops/update-lock.sh"


def test_every_locked_package_is_pinned_with_a_hash():
    lock = locked()
    assert len(lock) >= 20
    assert [name for name, (_version, hashes) in lock.items() if not hashes] == []


def test_the_image_installs_the_lock_with_hashes_and_resolves_nothing_else():
    dockerfile = (ROOT / "ops" / "Dockerfile").read_text()
    assert "pip install --require-hashes -r ops/requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    assert re.search(r"pip install (?!--require-hashes|--no-deps)", dockerfile) is None
