#!/usr/bin/env bash
# CI checks of the Prometheus side: rules are valid, rule unit tests pass, and a
# real scrape of a running Kommune-IKT passes `promtool check metrics`.
# Usage: ops/ci-prometheus.sh   (needs ./.venv with the project installed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$(ops/get-promtool.sh | tail -n 1)"
PROMTOOL="$BIN/promtool"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
CLI="$(dirname "$PY")/kommune-ikt"

echo "== promtool check rules"
"$PROMTOOL" check rules ops/prometheus/rules/*.rules.yml
echo "== promtool test rules"
"$PROMTOOL" test rules ops/prometheus/tests/*.test.yml

echo "== promtool check metrics on a real scrape"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DATABASE_URL="sqlite:///$WORK/ci.sqlite3"
export SECRET_KEY=ci
export PROMETHEUS_MULTIPROC_DIR="$WORK/metrics"
export GUNICORN_ACCESSLOG=""
"$CLI" db upgrade >/dev/null 2>&1
"$CLI" demo load >/dev/null 2>&1
"$CLI" serve --bind "127.0.0.1:$PORT" --workers 2 --no-scheduler >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do
    if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.2
done
# A few requests so that the request counters and histograms have series.
for path in /healthz /readyz /api/v1/services /no-such-page; do
    curl -sS -o /dev/null "http://127.0.0.1:$PORT$path" || true
done
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$WORK/scrape.txt" || { cat "$WORK/serve.log"; exit 1; }
grep -q '^kommune_ikt_metrics_collector_up 1' "$WORK/scrape.txt" \
    || { echo "collector not up"; cat "$WORK/serve.log"; exit 1; }
"$PROMTOOL" check metrics <"$WORK/scrape.txt"
echo "promtool: rules, rule tests and a real scrape are clean"
