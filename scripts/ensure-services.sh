#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1 (installing them with apt-get if missing),
# for the production-shaped test pass. Idempotent: does nothing when both already run.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_up() { pg_isready -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1; }
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! command -v pg_isready >/dev/null 2>&1; then
  echo "installing PostgreSQL…"
  apt_install postgresql postgresql-client
fi
if ! pg_up; then
  echo "starting PostgreSQL…"
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
  if [ -z "$version" ]; then apt_install postgresql; version=$(ls /etc/postgresql | sort -V | tail -n1); fi
  # Tests connect over TCP as postgres without a password (local trust, loopback only).
  hba=/etc/postgresql/$version/main/pg_hba.conf
  if ! grep -q "rentdesk-tests" "$hba" 2>/dev/null; then
    as_root sh -c "printf '%s\n' '# rentdesk-tests: trust loopback' 'host all all 127.0.0.1/32 trust' 'host all all ::1/128 trust' | cat - '$hba' > '$hba.new' && mv '$hba.new' '$hba'"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || as_root pg_ctlcluster "$version" main start
  for _ in $(seq 1 60); do pg_up && break; sleep 0.5; done
fi
pg_up || { echo "PostgreSQL did not start on $PG_HOST:$PG_PORT" >&2; exit 1; }

if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing Redis…"
  apt_install redis-server
fi
if ! redis_up; then
  echo "starting Redis…"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp --logfile /tmp/rentdesk-redis.log
  for _ in $(seq 1 40); do redis_up && break; sleep 0.25; done
fi
redis_up || { echo "Redis did not start on 127.0.0.1:$REDIS_PORT" >&2; exit 1; }

# Leftover databases from earlier test runs.
psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -Atc \
  "SELECT 'DROP DATABASE IF EXISTS \"' || datname || '\";' FROM pg_database WHERE datname LIKE 'rentdesk_t_%'" 2>/dev/null \
  | psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -q >/dev/null 2>&1 || true
echo "PostgreSQL and Redis are up."
