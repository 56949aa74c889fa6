#!/usr/bin/env bash
# Refresh the vendored front-end files from the exact versions in package-lock.json.
# The copies in ../static/vendor/ are committed, so setting up the service needs only Python;
# run this (it needs npm) only to change a version: edit package.json, `npm install`, then this.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund
out=../static/vendor
rm -rf "$out" && mkdir -p "$out"
nm=node_modules
cp "$nm/@digdir/designsystemet-css/dist/src/index.css" "$out/designsystemet.css"
cp "$nm/@digdir/designsystemet-theme/brand/digdir.css" "$out/designsystemet-theme.css"
cp "$nm/@digdir/designsystemet-web/dist/umd/index.js" "$out/designsystemet-web.js"
cp "$nm/htmx.org/dist/htmx.min.js" "$out/htmx.min.js"
cp "$nm/axe-core/axe.min.js" "$out/axe.min.js"
for p in @digdir/designsystemet-css @digdir/designsystemet-theme @digdir/designsystemet-web htmx.org axe-core; do
  printf '%s %s\n' "$p" "$(node -p "require('./$nm/$p/package.json').version")"
done > "$out/VERSIONS"
cat "$out/VERSIONS"
