#!/usr/bin/env bash
# The README's guided tour, run as written: start `rentdesk dev` on a fresh database (its first
# start seeds the demo data and runs the nightly job once), then run every ```sh tour block of
# README.md, in order, in one bash, against it — with `set -euo pipefail`, every curl failing on
# an HTTP error (`--fail-with-body`) and `jq -e` failing on a missing answer. Prints how long
# `rentdesk dev` took to be healthy. No sleeps: start-up is awaited on the server's own banner.
#   scripts/tour.sh [sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
root=$PWD
if ! command -v jq >/dev/null; then
  echo "installing jq…"
  sudo_cmd=$([ "$(id -u)" = 0 ] && echo || echo sudo)
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq jq >/dev/null
fi
# The binary as the test build made it: `--workspace --all-targets` resolves the same features as
# `cargo nextest run --workspace`, so after scripts/test.sh's build this links nothing new. (A bare
# `--bin rentdesk` resolves fewer features and rebuilt ~150 crates: about 4 minutes of CI.)
cargo build -q --workspace --all-targets

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
env_vars=(BIND_ADDR=127.0.0.1:$port LOG_FORMAT=pretty RUST_LOG=info DISPATCH_CRON="* * * * * *")
database_url="sqlite://$work/rentdesk.sqlite?mode=rwc"
if [ "$backend" = postgres ]; then
  scripts/ensure-services.sh
  db=rentdesk_tour_$$
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" postgres
  database_url=postgres://postgres@127.0.0.1:5432/$db
  env_vars+=(REDIS_URL=redis://127.0.0.1:6379 QUEUE_NAMESPACE=$db)
fi
env_vars+=(DATABASE_URL=$database_url)
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  if [ "$backend" = postgres ]; then
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The first set-up command, `cargo run --bin rentdesk -- dev`, with the binary just built.
started=$(date +%s%N)
(cd "$work" && exec env "${env_vars[@]}" "$root/target/debug/rentdesk" dev >server.log 2>&1) &
server=$!
if ! timeout 120 grep -q -m1 'Rentdesk is running' <(tail -n +1 -F --pid="$server" "$work/server.log" 2>/dev/null); then
  tail -40 "$work/server.log"
  echo "tour ($backend): rentdesk dev did not start"
  exit 1
fi
curl -sf "$base/health" >/dev/null
ready_ms=$((($(date +%s%N) - started) / 1000000))
echo "tour ($backend): rentdesk dev healthy $((ready_ms / 1000)).$(printf %03d $((ready_ms % 1000))) s after start (1,000 tenancies seeded, nightly job run once)"
sed -n '/^nightly run as of/,/^done in/p' "$work/server.log"

# The tour: the README's ```sh tour blocks, the documented address replaced by this server's.
awk '/^```sh tour$/ { on = 1; print "# --- block " ++n; next } /^```$/ { on = 0 } on' README.md \
  | sed "s#http://127.0.0.1:8080#$base#g" >"$work/tour.sh"
blocks=$(grep -c '^# --- block' "$work/tour.sh")
[ "$blocks" -ge 10 ] || { echo "tour: only $blocks tour blocks found in README.md"; exit 1; }

cat >"$work/run.sh" <<'HARNESS'
set -euo pipefail
set -o errtrace
trap 'echo "tour: failed at tour.sh line $LINENO: $BASH_COMMAND" >&2' ERR
# An HTTP error fails the command (the README leaves `--fail-with-body` out for readability).
# A progress stream the tour cuts short (`--max-time`: 28, `head` closing the pipe: 23) is what
# it asked for.
curl() {
  local rc=0
  command curl --fail-with-body "$@" || rc=$?
  case " $* " in
    *" -sN "*) if [ "$rc" = 28 ] || [ "$rc" = 23 ]; then rc=0; fi ;;
  esac
  return "$rc"
}
# "In the repository": cargo runs there, against the database `rentdesk dev` uses. `cargo run
# --bin rentdesk -- ARGS` runs the binary built above (as `rentdesk dev` was started) with ARGS:
# the same program, without cargo resolving a second feature set and rebuilding it.
cargo() {
  if [ "${1:-}" = run ] && [[ " $* " == *" --bin rentdesk "* ]] && [[ " $* " == *" -- "* ]]; then
    while [ "$#" -gt 0 ] && [ "$1" != -- ]; do shift; done
    shift
    (cd "$ROOT" && "$ROOT/target/debug/rentdesk" "$@")
  else
    (cd "$ROOT" && command cargo "$@")
  fi
}
source ./tour.sh
# What the output alone cannot show: the things the tour made are there.
test "$(jq '[.features[] | select(.properties.kind == "stop")] | length' route.geojson)" = 3
test "$(command curl -s "$API/dev/outbox?limit=200" | jq '[.[] | select(.rule_id != null)] | length')" -gt 0
test "$(command curl -s "$API/tenant/v1/plans/current" -H "Authorization: Bearer $TENANT" | jq -r .status)" = active
echo "tour: every block ran"
HARNESS
(cd "$work" && ROOT=$root DATABASE_URL=$database_url bash run.sh) || {
  echo "--- rentdesk dev log (last 30 lines)"
  tail -30 "$work/server.log"
  echo "tour ($backend): FAILED"
  exit 1
}
echo "tour ($backend): $blocks blocks of README.md passed; dev healthy in $((ready_ms / 1000)).$(printf %03d $((ready_ms % 1000))) s"
