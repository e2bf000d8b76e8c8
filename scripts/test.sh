#!/usr/bin/env bash
# The test command: the whole suite on the embedded deployment (SQLite, SQLite queue), then the
# end-to-end and worker suites again on the production one (PostgreSQL + Redis, started or
# installed by scripts/ensure-services.sh).
#   scripts/test.sh            both backends
#   scripts/test.sh sqlite     embedded only
#   scripts/test.sh postgres   PostgreSQL + Redis only
#   scripts/test.sh contract   the OpenAPI document through a third-party validator only
# Each backend's pass ends with scripts/tour.sh (the README's guided tour, run as written against
# a fresh `rentdesk dev`) and scripts/fuzz.sh (schemathesis against a started server).
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest…"
  cargo install --locked cargo-nextest || true
fi
# Three tests per core: an end-to-end test spends most of its time waiting on its database and its
# worker (the SQLite suite used 0.5 of 2 cores at one test per core: 224 s; at three, 86 s).
threads=$(( $(nproc) * 3 ))
run() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --no-fail-fast --test-threads "$threads" "$@"
  else
    cargo test --no-fail-fast "$@" -- --test-threads "$threads"
  fi
}

if [ "$which" = all ] || [ "$which" = contract ]; then
  echo "== contract: the OpenAPI document validates (third-party validator) =="
  scripts/contract.sh
fi
# The console's browser tests (tests/api/console.rs) drive headless Chromium; screenshots land
# in target/console-screenshots/<backend>/ for CI to keep.
if [ "$which" != contract ]; then
  scripts/ensure-browser.sh
fi
if [ "$which" = all ] || [ "$which" = sqlite ]; then
  echo "== tests: embedded (SQLite) =="
  RENTDESK_TEST_BACKEND=sqlite run --workspace
  echo "== tour: the README's guided tour against rentdesk dev (SQLite) =="
  scripts/tour.sh sqlite
  echo "== fuzz: schemathesis over the whole document, every audience (SQLite) =="
  scripts/fuzz.sh sqlite
fi
if [ "$which" = all ] || [ "$which" = postgres ]; then
  scripts/ensure-services.sh
  echo "== tests: production shape (PostgreSQL + Redis) =="
  RENTDESK_TEST_BACKEND=postgres \
  TEST_POSTGRES_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
  TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379} \
    run -p rentdesk-tests -p rentdesk-worker
  echo "== tour: the README's guided tour against rentdesk dev (PostgreSQL + Redis) =="
  scripts/tour.sh postgres
  echo "== fuzz: schemathesis over the whole document, every audience (PostgreSQL + Redis) =="
  scripts/fuzz.sh postgres
fi
