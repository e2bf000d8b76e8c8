#!/usr/bin/env bash
# Make sure headless Chromium and its WebDriver (Debian's `chromium` and `chromium-driver`) are
# installed, for the console's browser tests (tests/api/console.rs). Idempotent: does nothing
# when both are on the PATH. The tests start chromedriver themselves (CHROMEDRIVER overrides
# which binary).
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "installing chromium and chromium-driver…"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver fonts-dejavu-core >/dev/null
fi
command -v chromedriver >/dev/null 2>&1 || { echo "chromedriver is not on the PATH" >&2; exit 1; }
echo "Chromium $(chromium --version 2>/dev/null | awk '{print $2}') and chromedriver are installed."
