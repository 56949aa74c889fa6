#!/usr/bin/env bash
# Fetch promtool and prometheus from Debian's `prometheus` package without
# installing it (no service is started): apt-get download + dpkg-deb -x into a
# cache directory. Idempotent: a second run with the binaries present does nothing.
# Prints the directory holding the binaries on its last line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PROMETHEUS_CACHE_DIR:-$ROOT/.cache/prometheus}"
BIN="$CACHE/root/usr/bin"

if [[ -x "$BIN/promtool" && -x "$BIN/prometheus" ]]; then
    echo "$BIN"
    exit 0
fi

mkdir -p "$CACHE"
# Keep the cache out of git without touching the shared .gitignore.
printf '*\n' >"$CACHE/.gitignore"
cd "$CACHE"
if ! ls prometheus_*.deb >/dev/null 2>&1; then
    SUDO=""
    if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
    # apt-get download fails on a machine whose package lists were never fetched.
    if ! apt-get download prometheus >/dev/null 2>&1; then
        $SUDO apt-get update -qq >&2
        apt-get download prometheus >&2
    fi
fi
rm -rf root
dpkg-deb -x prometheus_*.deb root
test -x "$BIN/promtool"
test -x "$BIN/prometheus"
echo "$BIN"
