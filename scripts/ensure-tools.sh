#!/usr/bin/env bash
# Installs the external programs the test suite drives, when they are missing:
# pandoc (reads our CSL-JSON and BibTeX) and chromium (renders report.html). Debian/Ubuntu packages; uses sudo when
# not root. Safe to run repeatedly.
set -euo pipefail
missing=()
command -v pandoc >/dev/null 2>&1 || missing+=(pandoc)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
