#!/usr/bin/env bash
# `make bench-scale`: the metrics engine at a million accounts (bench/run.py --scale), on a
# PostgreSQL database of its own that it drops when done (success or not). Writes the
# "A million accounts" section of docs/benchmarks.md. Needs ~20 GB of free disk at 3 apps per
# account (SCALE_APPS); check `df -h` first. Takes the better part of an hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/frontline}
BENCH_DB=${BENCH_SCALE_DB:-frontline_bench_1m}
BENCH_URL="${PG_URL%/*}/${BENCH_DB}"
ADMIN_URL="${PG_URL%/*}/postgres"
REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/15}
ACCOUNTS=${SCALE_ACCOUNTS:-1000000}
APPS=${SCALE_APPS:-3}

bash scripts/ensure_partman.sh

database() {  # database create|drop
  $PY - "$ADMIN_URL" "$BENCH_DB" "$1" <<'PYEOF'
import sys
import psycopg
from psycopg import sql

url, name, action = sys.argv[1:4]
with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    if action == "create":
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
print(f"{ {'create': 'created', 'drop': 'dropped'}[action]} database {name}", file=sys.stderr)
PYEOF
}
database create
trap 'database drop' EXIT

if $PY -c "import redis,sys; redis.Redis.from_url('$REDIS_URL', socket_connect_timeout=2).ping()" 2>/dev/null; then
  BROKER_ARG=(--broker "$REDIS_URL")
else
  echo "Redis not reachable: no one-worker / two-worker comparison" >&2
  BROKER_ARG=()
fi
export DATABASE_URL=$BENCH_URL DJANGO_DEBUG=1
env -u CELERY_BROKER_URL $PY manage.py migrate --noinput -v0
env -u CELERY_BROKER_URL $PY -m bench --scale --accounts "$ACCOUNTS" --apps "$APPS" \
  --naive-sample 200 --workdir artifacts/bench-scale "${BROKER_ARG[@]}" "$@"
rm -rf artifacts/bench-scale
