#!/usr/bin/env bash
# The contract from outside: the committed OpenAPI document (YAML and JSON) must validate as
# OpenAPI 3.0 with a third-party validator (openapi-spec-validator), installed into a
# virtualenv (below) (python3 and its venv module come from apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
# The Python tools of the checks from outside live in one virtualenv per machine (not under
# target/, which a clean clone does not have: CI re-created it, ~30 s, on every run). Changing a
# pin below re-creates it.
venv=${RENTDESK_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/rentdesk/venv}
pins=('openapi-spec-validator==0.9.*' 'schemathesis==4.*' 'openapi-python-client==0.*')

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "installing python3-venv…"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3 python3-venv >/dev/null
fi
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "${pins[*]}" ]; then
  echo "installing ${pins[*]} into $venv…"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}"
  echo "${pins[*]}" >"$venv/.pins"
fi
for doc in mobile-api-spec/openapi.yaml mobile-api-spec/openapi.json; do
  "$venv/bin/openapi-spec-validator" "$doc"
done
