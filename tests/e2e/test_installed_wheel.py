"""The built wheel, installed into a fresh virtual environment outside the checkout,
migrates, takes members, users and the demo, and serves (issue 15, item 12).

Not an editable install: the wheel is built from the checkout, installed into a new
venv under a temporary directory, and every command runs from another temporary
directory with no source tree, the database being the default SQLite file under
``./var``. So a file the package needs at run time (migrations, gunicorn's
settings, the reference data) and does not ship fails this test.

Installing the wheel's dependencies from the package index takes minutes on the
CI machine, so by default the new venv gets them from the test run's own
environment through a path entry (its site-packages directory, whose ``.pth``
files, such as an editable install's finder, are not processed there); set
``KOMMUNE_IKT_WHEEL_FULL_INSTALL=1`` to let pip resolve and install them too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.machine import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.wheel]

CHECKOUT = Path(__file__).resolve().parents[2]


def run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-4000:])
    return done.stdout


def get(url: str, token: str | None = None) -> tuple[int, object]:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, None


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ directory of a fresh venv with the wheel built from this checkout."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(CHECKOUT)],
        root,
        env,
    )
    (wheel,) = dist.glob("kommune_ikt-*.whl")
    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root, env)
    python = venv / "bin" / "python"
    if os.environ.get("KOMMUNE_IKT_WHEEL_FULL_INSTALL"):
        run([str(python), "-m", "ensurepip", "-q"], root, env)
        run([str(python), "-m", "pip", "install", "-q", str(wheel)], root, env, timeout=1800)
    else:
        purelib = Path(
            run(
                [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                root,
                env,
            ).strip()
        )
        (purelib / "zz_test_dependencies.pth").write_text(
            sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
        )
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(python),
                "install",
                "-q",
                "--no-deps",
                str(wheel),
            ],
            root,
            env,
        )
    return venv / "bin"


def test_installed_wheel_migrates_adds_members_and_serves(installed, tmp_path):
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV", "DATABASE_URL", "KOMMUNE_IKT_VAR_DIR"}
    }
    env.update(
        SECRET_KEY="wheel",
        GUNICORN_ACCESSLOG="",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    cli = str(installed / "kommune-ikt")

    # The package really is the installed one, not the checkout.
    where = run(
        [str(installed / "python"), "-c", "import kommune_ikt; print(kommune_ikt.__file__)"],
        workdir,
        env,
    )
    assert not where.startswith(str(CHECKOUT)) and str(installed.parent) in where

    assert "database at head" in run([cli, "db", "upgrade"], workdir, env)
    assert (workdir / "var" / "kommune-ikt.sqlite3").exists()
    assert "Aure (NO)" in run(
        [cli, "member", "add", "1576", "--joined-on", "2024-01-01"], workdir, env
    )
    assert "Hudiksvall (SE)" in run(
        [cli, "member", "add", "2184", "--joined-on", "2024-01-01"], workdir, env
    )
    unknown = subprocess.run(
        [cli, "member", "add", "9999", "--joined-on", "2024-01-01"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unknown.returncode != 0 and "Traceback" not in unknown.stderr
    assert "number" in unknown.stderr
    token = run([cli, "user", "add", "admin@wheel.test", "--role", "admin"], workdir, env)
    token = token.strip().splitlines()[-1]
    assert "Demo users" in run([cli, "demo", "load"], workdir, env)

    port = free_port()
    with open(tmp_path / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [cli, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-scheduler"],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, body = get(base + "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        assert status == 200, (tmp_path / "serve.log").read_text(errors="replace")[-3000:]
        assert body == {"status": "ok"}
        status, listed = get(base + "/api/v1/municipalities?limit=200", token)
        assert status == 200
        numbers = {m["number"]: m["country"] for m in listed["items"]}  # type: ignore[index]
        assert numbers["1576"] == "NO" and numbers["2184"] == "SE"
        assert get(base + "/api/v1/municipalities")[0] == 401
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
