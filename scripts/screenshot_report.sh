#!/usr/bin/env bash
# Look at the report in a real browser: run the seeds, write their report and take a
# headless Chromium screenshot of it (docs/report-seeds.png by default).
#
#   scripts/screenshot_report.sh [PNG] [WIDTHxHEIGHT]
#
# Installs Debian's chromium when it is missing (apt-get, with sudo when not root).
# Uses .venv/bin/cleanwire when present, else cleanwire on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
png=${1:-docs/report-seeds.png}
size=${2:-1280x2000}

if ! command -v chromium >/dev/null; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium
fi
cleanwire=.venv/bin/cleanwire
[ -x "$cleanwire" ] || cleanwire=cleanwire

out=$(mktemp -d)/seeds
trap 'rm -rf "$(dirname "$out")"' EXIT
"$cleanwire" run seeds/*.txt --output "$out" --quiet
"$cleanwire" report "$out" --quiet
mkdir -p "$(dirname "$png")"
# --no-sandbox: root in a container has no user namespace for Chromium's sandbox; the
# page has no script (its CSP forbids it), so the sandbox protects nothing here.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="${size/x/,}" \
    --screenshot="$PWD/$png" "file://$out/report.html" 2>/dev/null
echo "wrote $png from $out/report.html"
