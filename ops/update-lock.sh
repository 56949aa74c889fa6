#!/usr/bin/env bash
# Regenerate ops/requirements.lock: the runtime dependencies of pyproject.toml,
# resolved once and pinned with their sha256 hashes, for the deployment image
# (ops/Dockerfile installs from it with --require-hashes). Run it with the
# Python the image uses (3.11) after changing the dependencies in pyproject.toml,
# then commit the lock together with pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
"$PYTHON" -m venv "$tools"
"$tools/bin/pip" install --quiet "pip-tools>=7.4,<8"
"$tools/bin/pip-compile" --quiet --generate-hashes --strip-extras --no-emit-index-url \
    --no-emit-find-links --output-file ops/requirements.lock pyproject.toml
echo "ops/requirements.lock: $(grep -c '==' ops/requirements.lock) pinned packages"
