#!/usr/bin/env bash
# `make bench`: the metrics engine's benchmark on PostgreSQL (bench/run.py says what it measures).
# Creates its own database (frontline_bench by default), never the one in DATABASE_URL, and
# writes docs/benchmarks.md. Takes a few minutes and ~5 GB of disk at 100,000 accounts.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/frontline}
BENCH_DB=${BENCH_DB:-frontline_bench}
BENCH_URL="${PG_URL%/*}/${BENCH_DB}"
ADMIN_URL="${PG_URL%/*}/postgres"
REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/15}

bash scripts/ensure_partman.sh

$PY - "$ADMIN_URL" "$BENCH_DB" <<'PYEOF'
import sys
import psycopg
from psycopg import sql

url, name = sys.argv[1], sys.argv[2]
try:
    conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
except Exception as exc:
    sys.exit(f"PostgreSQL is not reachable at {url}: {exc}")
with conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
print(f"created database {name}", file=sys.stderr)
PYEOF

# The import's after-ingest task goes to a Redis queue nobody consumes, so the ingest is timed alone.
if $PY -c "import redis,sys; redis.Redis.from_url('$REDIS_URL', socket_connect_timeout=2).ping()" 2>/dev/null; then
  BROKER_ARG=(--broker "$REDIS_URL")
else
  echo "Redis not reachable: the import's recompute will run in-process, inside its time" >&2
  BROKER_ARG=()
fi

export DATABASE_URL=$BENCH_URL DJANGO_DEBUG=1
env -u CELERY_BROKER_URL $PY manage.py migrate --noinput -v0
env -u CELERY_BROKER_URL $PY -m bench "${BROKER_ARG[@]}" "$@"

# API and pipeline-page figures on the same database (100,000 accounts), appended to the page.
API_OUT=$(mktemp) PAGES_OUT=$(mktemp) EVENTS_OUT=$(mktemp)
trap 'rm -f "$API_OUT" "$PAGES_OUT" "$EVENTS_OUT"' EXIT
env -u CELERY_BROKER_URL $PY -m bench.api_bench --accounts 100000 --output "$API_OUT"
env -u CELERY_BROKER_URL $PY -m bench.pipeline_bench --accounts 100000 --output "$PAGES_OUT"
# The outbox's cost on a visit POST (its after-commit task to a queue nobody consumes) and
# deliveries per second to a receiver on 127.0.0.1.
env -u CELERY_BROKER_URL $PY -m bench.events_bench --accounts 100000 "${BROKER_ARG[@]}" --output "$EVENTS_OUT"
{
  printf '\n## REST API latency\n\n'; cat "$API_OUT"
  printf '\n## Pipeline pages\n\n'; cat "$PAGES_OUT"
  printf '\n## Events outbox and deliveries\n\n'; cat "$EVENTS_OUT"
} >> docs/benchmarks.md
