#!/usr/bin/env bash
# Debian's Chromium, for the browser test: playwright-core drives it and downloads no browser itself.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq chromium
