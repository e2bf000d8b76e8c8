#!/usr/bin/env bash
# The API from outside, as a generated client and a schema fuzzer see it: start `rentdesk dev` (demo data) on the
# chosen backend, sign in as each audience (a tenant through the SMS code in the dev outbox, an
# officer, a team leader, an administrator), and run schemathesis over every operation of the published document
# with those tokens. Checks: server errors, response schemas, status codes, content types,
# headers, that invalid requests are refused and undeclared methods get 405 with `Allow`.
# (Schema-valid requests that a business rule refuses — an unknown id, a plan outside policy —
# are answered 404/409/422 as documented, so schemathesis' "positive data acceptance" is off.
# Signing out and refreshing are left out (they end the session the run uses), and so is the
# campaign progress stream, which stays open while a campaign runs; e2e tests cover them.)
#   scripts/fuzz.sh [sqlite|postgres] [max-examples per operation, default 160: over 20,000 requests]
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
examples=${2:-${FUZZ_EXAMPLES:-160}}
venv=${RENTDESK_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/rentdesk/venv}   # made by scripts/contract.sh
root=$PWD

scripts/contract.sh >/dev/null
# Same build as scripts/test.sh's (see scripts/tour.sh): nothing to compile after the tests.
cargo build -q --workspace --all-targets

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
env_vars=(BIND_ADDR=127.0.0.1:$port LOG_FORMAT=pretty RUST_LOG=info DISPATCH_CRON="* * * * * *")
if [ "$backend" = postgres ]; then
  scripts/ensure-services.sh
  db=rentdesk_fuzz_$$
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" postgres
  env_vars+=(DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db REDIS_URL=redis://127.0.0.1:6379
    QUEUE_NAMESPACE=$db)
fi
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  if [ "$backend" = postgres ]; then
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
(cd "$work" && exec env "${env_vars[@]}" "$root/target/debug/rentdesk" dev --tenancies 300 >server.log 2>&1) &
server=$!
for _ in $(seq 1 120); do
  curl -sf "$base/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf "$base/health" >/dev/null || { tail -30 "$work/server.log"; echo "server did not start"; exit 1; }

# Tokens per audience. A tenant with a mobile number signs in with what they know (reference,
# date of birth, picked from the demo data) and the code read where they would see it in dev:
# the outbox log of messages sent without a provider, after the worker's next dispatch tick (every
# second here: DISPATCH_CRON, so no sign-in waits up to 15 s for the default tick).
query="SELECT t.reference || ' ' || p.date_of_birth FROM tenancies t JOIN tenants p ON p.tenancy_id = t.id
  WHERE p.mobile IS NOT NULL AND p.date_of_birth IS NOT NULL AND t.status = 'active' ORDER BY t.id LIMIT 1"
if [ "$backend" = postgres ]; then
  who=$(psql -h 127.0.0.1 -U postgres -At -c "$query" "$db")
else
  who=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' \
    "$work/rentdesk.sqlite" "$query")
fi
eval "$(BASE=$base LOG=$work/server.log WHO=$who python3 - <<'EOF'
import json, os, re, time, urllib.request
base, log = os.environ["BASE"], os.environ["LOG"]
reference, dob = os.environ["WHO"].split()
def call(path, body=None, token=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json", **({"authorization": "Bearer " + token} if token else {})})
    return json.load(urllib.request.urlopen(req))
leader = call("/officer/v1/sign-in", {"email": "teamleader@rentdesk.example", "password": "rentdesk-demo"})["access_token"]
officer = call("/officer/v1/sign-in", {"email": "officer1@rentdesk.example", "password": "rentdesk-demo"})["access_token"]
admin = call("/officer/v1/sign-in", {"email": "admin@rentdesk.example", "password": "rentdesk-demo"})["access_token"]
challenge = call("/tenant/v1/sign-in", {"reference": reference, "date_of_birth": dob})["challenge"]
codes = []
for _ in range(80):
    codes = re.findall(r"sign-in code is (\d{6})", open(log).read())
    if codes:
        break
    time.sleep(0.5)
tenant = call("/tenant/v1/sign-in/verify", {"challenge": challenge, "code": codes[-1]})["access_token"]
print(f"TENANT={tenant}\nOFFICER={officer}\nLEADER={leader}\nADMIN={admin}")
EOF
)"

failed=0
# A client generated from the committed document by a third-party generator drives the tenant
# and officer flows against the same server, first, before the fuzzer changes its data.
echo "== generated Python client (openapi-python-client): tenant and officer flows =="
"$venv/bin/openapi-python-client" generate --path mobile-api-spec/openapi.json \
  --output-path "$work/python-client" >"$work/generate.txt" 2>&1 || { cat "$work/generate.txt"; exit 1; }
if grep -q "will not be generated" "$work/generate.txt"; then
  grep -B2 -A6 "will not be generated" "$work/generate.txt"
  failed=1
fi
(cd "$work/python-client" && PYTHONPATH=. "$venv/bin/python" "$root/clients/python_flows.py" \
  "$base" ${who% *} ${who#* } "$work/server.log") || failed=1

# A second generator, in another language: TypeScript types from openapi-typescript, calls through
# openapi-fetch, the flows type-checked by `tsc --strict` against them (clients/ts).
echo "== generated TypeScript client (openapi-typescript + openapi-fetch, tsc --strict): tenant and officer flows =="
if ! command -v npm >/dev/null 2>&1; then
  echo "installing Node.js and npm…"
  sudo_cmd=$([ "$(id -u)" = 0 ] && echo || echo sudo)
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq nodejs npm >/dev/null
fi
# Generating and type-checking depend only on the document and the flows, not on the backend: the
# second backend's run reuses them when nothing changed (a stamp of their hashes).
ts_stamp=$(cat mobile-api-spec/openapi.json clients/ts/flows.ts clients/ts/tsconfig.json \
  clients/ts/package-lock.json | sha256sum | cut -d' ' -f1)
(cd clients/ts && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } \
  && { [ "$(cat build/.checked 2>/dev/null)" = "$ts_stamp" ] \
       || { npm run -s generate >/dev/null && npm run -s check && echo "$ts_stamp" >build/.checked; }; } \
  && node build/flows.js "$base" ${who% *} ${who#* } "$work/server.log") || failed=1

# schemathesis is one Python process bound to one core by its interpreter lock (the server idles
# at ~15% meanwhile), so the audiences run as two lanes of separate processes, balanced by their
# run times (officer + tenant ≈ leader + admin), which halves the wall time on two cores.
fuzz() {
  local who=$1 token=$2 include=$3 rc=0
  echo started >"$work/$who.rc"
  "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$base/openapi.json" \
    --checks all --exclude-checks positive_data_acceptance \
    -H "Authorization: Bearer $token" \
    --include-path-regex "$include" --exclude-path-regex 'sign-out|/token$|/stream$' \
    --max-examples "$examples" --seed 1 --no-color --workers 1 \
    >"$work/$who.txt" 2>&1 || rc=$?
  echo "$rc" >"$work/$who.rc"
}
report() {
  local who=$1 include=$2 rc
  echo "== schemathesis ($backend): $who, $include =="
  rc=$(cat "$work/$who.rc" 2>/dev/null || echo "did not start")
  if [ ! -s "$work/$who.txt" ]; then
    echo "schemathesis for $who wrote nothing (exit: $rc)"
    failed=1
    return
  fi
  grep -E '^(Test cases:|  [0-9]+ generated|=+ .* in [0-9.]+s)' -A0 "$work/$who.txt" || true
  if [ "$rc" != 0 ] || grep -q '❌' "$work/$who.txt"; then
    { grep -E '^_{5,}|^- ST|^\[[0-9]{3}\]|curl -X|^ +[A-Z].*: ' "$work/$who.txt" || true; } | cut -c1-400 | head -80
    grep -q '❌' "$work/$who.txt" || tail -20 "$work/$who.txt"
    echo "schemathesis for $who: exit $rc"
    failed=1
  fi
}
# One worker thread per process: schemathesis' threads share one interpreter lock (no gain), and
# CPython 3.11 can fail compiling in two threads at once ("AST constructor recursion depth
# mismatch", seen once here). The lanes give the parallelism.
echo "== schemathesis ($backend): every audience, two lanes =="
( set +e; fuzz officer "$OFFICER" '^/officer/'; fuzz tenant "$TENANT" '^/tenant/' ) &
lane1=$!
( set +e; fuzz leader "$LEADER" '^/manage/'; fuzz admin "$ADMIN" '^/manage/'; fuzz service "$LEADER" '^/health' ) &
lane2=$!
# Wait for both lanes to end, even if `wait` is interrupted (once, in CI, the reports ran while
# the lanes had not yet written anything).
for lane in "$lane1" "$lane2"; do
  while kill -0 "$lane" 2>/dev/null; do
    wait "$lane" 2>/dev/null || sleep 1
  done
done
report tenant '^/tenant/'
report officer '^/officer/'
report leader '^/manage/'
report admin '^/manage/'
report service '^/health'
echo "fuzz ($backend): $(grep -cE 'tracing_mw.*(response|error).*status' "$work/server.log" || true) requests answered by the server, $([ $failed = 0 ] && echo 0 || echo some) failures"
exit $failed
