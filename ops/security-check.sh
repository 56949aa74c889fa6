#!/usr/bin/env bash
# Supply-chain checks (docs/security.md):
#   bandit     static analysis of the code that ships in the image (also part of the tests)
#   pip-audit  known vulnerabilities in the locked runtime dependencies, and in the
#              development environment; needs the network (PyPI's JSON API or OSV)
# Usage: ops/security-check.sh [--no-audit]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
"$BIN/bandit" -c pyproject.toml -q -r kommune_ikt service_catalog servicedesk metrics migrations ops
echo "bandit: no findings"
if [ "${1:-}" != "--no-audit" ]; then
    # The lock is what the image runs: complete, pinned and hashed.
    "$BIN/pip-audit" --progress-spinner off --strict --require-hashes --disable-pip \
        --requirement ops/requirements.lock
    "$BIN/pip-audit" --progress-spinner off
fi
