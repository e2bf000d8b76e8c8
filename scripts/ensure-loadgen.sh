#!/usr/bin/env bash
# The load generator for `rentdesk-bench api` (issue 22): oha, a maintained HTTP load generator
# that can hold a constant offered rate (`-q`, with `--latency-correction` measuring each
# request from when it should have been sent: an open model, so queueing shows) and prints
# JSON. vegeta (the first choice) is neither packaged by Debian nor reachable here; wrk has no
# fixed rate. Installed from crates.io into /usr/local/bin (a few minutes' build, once).
set -euo pipefail
OHA_VERSION=1.16.0
if command -v oha >/dev/null 2>&1 && oha --version | grep -q "$OHA_VERSION"; then
  command -v oha
  exit 0
fi
cargo install oha --version "$OHA_VERSION" --locked --root /usr/local
command -v oha
