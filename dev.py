#!/usr/bin/env python3
"""The README's commands: `python3 dev.py demo`, `python3 dev.py test`, `python3 dev.py bench`,
`python3 dev.py messages`.

Needs nothing but Python 3.11+: it makes ./.venv, installs the project into it
(again only when pyproject.toml changed), then runs the service or the tests.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("$", " ".join(str(a) for a in args), flush=True)
    code = subprocess.call([str(a) for a in args], cwd=ROOT, env=env)  # noqa: S603
    if code:
        sys.exit(code)


def ensure_env() -> None:
    """Create the virtual environment and install the project with its test tools."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py must explain itself on an old python3
        sys.exit("Kommune-IKT needs Python 3.11 or newer.")
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".kommune-ikt-installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[test]")
        stamp.write_text(digest)


def demo(args: list[str]) -> None:
    """Migrate the embedded SQLite database, load the demo, and serve on port 8000."""
    bind = os.environ.get("BIND", "127.0.0.1:8000")
    print(f"Kommune-IKT demo: http://{bind}/ (ready when 'Listening' shows below)", flush=True)
    ensure_env()
    cli = BIN / "kommune-ikt"
    run(cli, "db", "upgrade")
    run(cli, "demo", "load")
    # The one-click sign-in page as any demo user: never on unless asked for.
    os.environ["DEMO_SIGNIN"] = "1"
    print(f"\nKommune-IKT: open http://{bind}/ and sign in as a demo user.")
    print(f"The API's documentation is at http://{bind}/api/docs,")
    print("and use one of the tokens above as `Authorization: Bearer <token>`. Ctrl-C stops.\n")
    os.execv(cli, [str(cli), "serve", "--bind", bind, *args])  # noqa: S606


def test(args: list[str]) -> None:
    """Lint, format and type checks, then every test (PostgreSQL required when CI=true)."""
    ensure_env()
    # No cache: ruff's cache does not know when an imported module moves, which decides
    # how isort groups it, so a cached run passed here and failed on a clean CI machine.
    run(BIN / "ruff", "check", "--no-cache", ".")
    run(BIN / "ruff", "format", "--check", "--no-cache", ".")
    run(BIN / "mypy")  # what and how: [tool.mypy] in pyproject.toml
    pytest: list[str | Path] = [BIN / "python", "-m", "pytest"]
    if any((ROOT / a.split("::")[0]).exists() for a in args if not a.startswith("-")):
        run(*pytest, *args)  # the tests the developer named, as named
        return
    # Everything: one process per core (pytest-xdist, a test file per process at a time,
    # each with its own databases), then the fault tests alone, since they restart
    # PostgreSQL and fill disks under everyone's feet.
    run(*pytest, "-n", "auto", "--dist", "loadfile", "--ignore", "tests/faults", *args)
    run(*pytest, "tests/faults", *args)


def bench(args: list[str]) -> None:
    """Every benchmark on SQLite and PostgreSQL against this machine's ceilings (run_all.py)."""
    ensure_env()
    run(BIN / "python", ROOT / "bench" / "run_all.py", *args)


def messages(args: list[str]) -> None:
    """Re-extract the translatable texts into the catalogues and compile them (pybabel's work).

    `--compile-only` compiles the .po files to .mo without extracting.
    """
    ensure_env()
    run(BIN / "python", "-m", "kommune_ikt.catalogues", *args)


COMMANDS = {"demo": demo, "test": test, "bench": bench, "messages": messages}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: python3 dev.py demo | test [pytest args] | bench [--full] | messages")
    COMMANDS[sys.argv[1]](sys.argv[2:])
