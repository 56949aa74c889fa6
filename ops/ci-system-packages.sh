#!/usr/bin/env bash
# Install what the browser, mail and virus-scan tests need from Debian's packages:
# Chromium and its driver (axe-core and keyboard journeys), Dovecot (a real IMAP
# server the mail tests start on their own port) and clamd (the tests start their
# own daemon with a local test signature, so no signature download is needed).
# Idempotent: nothing is fetched when every package is installed already.
# Runs as root (CI does); a developer without root gets the same via sudo.
set -euo pipefail

PACKAGES=(chromium chromium-driver dovecot-imapd clamav-daemon)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
if ((${#missing[@]})); then
    echo "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Dovecot drops privileges to these; the package creates dovecot and dovenull,
# the mail tests run their mailboxes as vmail.
for u in dovecot dovenull vmail; do
    id "$u" >/dev/null 2>&1 || $SUDO useradd --system --no-create-home --shell /usr/sbin/nologin "$u"
done
for bin in /usr/bin/chromium /usr/bin/chromedriver /usr/sbin/dovecot /usr/sbin/clamd; do
    [[ -x "$bin" ]] || { echo "missing after install: $bin" >&2; exit 1; }
done
echo "system packages ready: ${PACKAGES[*]}"
