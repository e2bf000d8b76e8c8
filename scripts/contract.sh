#!/usr/bin/env bash
# The contract from outside: the committed OpenAPI document (YAML and JSON) must validate as
# OpenAPI 3.0 with a third-party validator (openapi-spec-validator), installed here into a
# virtualenv under target/ (python3 and its venv module come from apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/contract-venv

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "installing python3-venv…"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3 python3-venv >/dev/null
fi
if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
  echo "installing openapi-spec-validator…"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'openapi-spec-validator==0.9.*'
fi
for doc in mobile-api-spec/openapi.yaml mobile-api-spec/openapi.json; do
  "$venv/bin/openapi-spec-validator" "$doc"
done
