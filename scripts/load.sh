#!/usr/bin/env bash
# `make load`: the production stack on loopback under 60 s of steady API traffic (locust, headless).
#
# Starts, on PostgreSQL database $LOAD_DB (default frontline_load; never the one in DATABASE_URL):
# its own redis-server on a free port (broker and cache), gunicorn with production settings
# (debug off; DJANGO_SECURE_SSL_REDIRECT=0 because this is plain HTTP on loopback) and a
# Celery worker. Builds the 100,000-account data set with bench/api_bench.py's generator once
# (reused on later runs), creates a read-only API key, runs locust for $LOAD_SECONDS at
# $LOAD_USERS x $LOAD_USER_RATE requests/s against the account list, account health and /healthz,
# /readyz, prints
# throughput, p50/p95/p99 and errors, appends them to docs/benchmarks.md ("## Load test") and
# stops everything it started, whatever happens (trap on exit).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
BIN=.venv/bin
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/frontline}
LOAD_DB=${LOAD_DB:-frontline_load}
export LOAD_ACCOUNTS=${LOAD_ACCOUNTS:-100000}
LOAD_SECONDS=${LOAD_SECONDS:-60}
LOAD_USERS=${LOAD_USERS:-32}
LOAD_USER_RATE=${LOAD_USER_RATE:-10}
export LOAD_FILTERED_WEIGHT=${LOAD_FILTERED_WEIGHT:-2}
export LOAD_HEALTH_WEIGHT=${LOAD_HEALTH_WEIGHT:-2}
WEB_WORKERS=${WEB_WORKERS:-4}
WEB_THREADS=${WEB_THREADS:-1}
OUT=artifacts/load
mkdir -p "$OUT"
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/frontline-load.XXXXXX")

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
REDIS_PORT=$(free_port)
WEB_PORT=${LOAD_PORT:-$(free_port)}

pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  if [ -f "$RUN_DIR/celery.pid" ]; then kill -TERM "$(cat "$RUN_DIR/celery.pid")" 2>/dev/null || true; fi
  for _ in $(seq 1 40); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.25
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$RUN_DIR"
  exit $status
}
trap cleanup EXIT INT TERM

# --- Database: created once, kept between runs --------------------------------------------------
$PY - "${PG_URL%/*}/postgres" "$LOAD_DB" <<'PYEOF'
import sys
import psycopg
from psycopg import sql

url, name = sys.argv[1], sys.argv[2]
try:
    conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
except Exception as exc:
    sys.exit(f"PostgreSQL is not reachable at {url}: {exc}")
with conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}", file=sys.stderr)
PYEOF

# --- Services of our own: Redis (broker + cache) ------------------------------------------------
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$RUN_DIR" \
  >"$OUT/redis.log" 2>&1 &
pids+=($!)

export DATABASE_URL="${PG_URL%/*}/$LOAD_DB"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CACHE_URL="redis://127.0.0.1:$REDIS_PORT/1"
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')}
export DJANGO_SECURE_SSL_REDIRECT=0
export DJANGO_SETTINGS_MODULE=config.settings
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_CONN_MAX_AGE=${DJANGO_CONN_MAX_AGE:-60}
export DJANGO_LOG_LEVEL=${DJANGO_LOG_LEVEL:-WARNING}
# One load client sends ~300 requests/s with one key: far above a real system's budget
# (1200/min), so the per-key throttle is raised for this run only.
export API_THROTTLE_TOKEN=${API_THROTTLE_TOKEN:-1000000/min}
# Pages of the accounts list come from the shared cache (accounts/list_cache.py); 0 measures without.
export API_LIST_CACHE_SECONDS=${API_LIST_CACHE_SECONDS:-300}
unset DJANGO_DEBUG FRONTLINE_TESTING

echo "== migrating $LOAD_DB" >&2
$PY manage.py migrate --noinput -v0

echo "== data set: $LOAD_ACCOUNTS accounts with computed status (built once, reused)" >&2
$PY - "$LOAD_ACCOUNTS" <<'PYEOF'
import sys
import django

django.setup()
from bench.api_bench import ensure_data

ensure_data(int(sys.argv[1]))
PYEOF

KEY=$($PY - <<'PYEOF'
import django

django.setup()
from django.contrib.auth import get_user_model

from verticals.api.tokens import issue_api_token
from verticals.models import Membership, Role

user, _ = get_user_model().objects.get_or_create(username="load_api_client")
Membership.objects.get_or_create(user=user, vertical=None, role=Role.API_CLIENT)
_token, key = issue_api_token(user=user, name="make load")  # read-only
print(key)
PYEOF
)

# --- The production stack -----------------------------------------------------------------------
echo "== gunicorn ($WEB_WORKERS workers x $WEB_THREADS threads) on 127.0.0.1:$WEB_PORT and a Celery worker" >&2
$BIN/gunicorn config.wsgi --bind "127.0.0.1:$WEB_PORT" --workers "$WEB_WORKERS" \
  --threads "$WEB_THREADS" --no-control-socket --access-logfile - --error-logfile - \
  >"$OUT/gunicorn.log" 2>&1 &
pids+=($!)
$BIN/celery -A config worker --loglevel WARNING --concurrency 1 --pidfile "$RUN_DIR/celery.pid" \
  --hostname "load@%h" >"$OUT/celery.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 120); do
  if $PY -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$WEB_PORT/readyz', timeout=2)" 2>/dev/null; then
    break
  fi
  sleep 0.5
done
$PY -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$WEB_PORT/readyz', timeout=2)" \
  || { echo "gunicorn did not become ready; see $OUT/gunicorn.log" >&2; exit 1; }
# Warm every worker's connection and the planner's caches before measuring.
for _ in $(seq 1 20); do
  curl -fsS -o /dev/null -H "Authorization: Token $KEY" "http://127.0.0.1:$WEB_PORT/api/v1/accounts/?page_size=50"
done

# --- Traffic ------------------------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== locust: $LOAD_USERS users x $LOAD_USER_RATE req/s for ${LOAD_SECONDS}s (load average before: $load_before)" >&2
LOAD_API_TOKEN=$KEY LOAD_USER_RATE=$LOAD_USER_RATE $BIN/locust -f bench/locustfile.py --headless \
  --host "http://127.0.0.1:$WEB_PORT" -u "$LOAD_USERS" -r "$LOAD_USERS" -t "${LOAD_SECONDS}s" \
  --csv "$OUT/locust" --only-summary --loglevel WARNING >"$OUT/locust.log" 2>&1 || true
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

$PY - "$OUT/locust_stats.csv" "$load_before" "$load_after" "$LOAD_USERS" "$LOAD_USER_RATE" \
  "$WEB_WORKERS" "$WEB_THREADS" "$LOAD_SECONDS" "$LOAD_ACCOUNTS" <<'PYEOF'
import csv
import datetime as dt
import os
import sys
from pathlib import Path

stats, before, after, users, rate, workers, threads, seconds, accounts = sys.argv[1:]
filtered = int(os.environ.get("LOAD_FILTERED_WEIGHT", "2"))
health = int(os.environ.get("LOAD_HEALTH_WEIGHT", "2"))
mix = " : ".join(
    f"{name} {weight}"
    for name, weight in (
        ("first page", 5),
        ("filtered page", filtered),
        ("next page", 1),
        ("account health", health),
        ("healthz", 1),
        ("readyz", 1),
    )
    if weight
)
cache_seconds = int(os.environ.get("API_LIST_CACHE_SECONDS", "0"))
cache = f"list cache {cache_seconds} s" if cache_seconds else "no list cache"
rows = list(csv.DictReader(open(stats)))
if not rows:
    sys.exit("locust wrote no statistics; see artifacts/load/locust.log")


def figures(row):
    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": row["50%"],
        "p95": row["95%"],
        "p99": row["99%"],
    }


print(f"{'endpoint':<52} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7}")
for row in rows:
    f = figures(row)
    print(
        f"{row['Name']:<52} {f['requests']:>9} {f['rps']:>8.1f} {f['p50']:>7} {f['p95']:>7} {f['p99']:>7} {f['errors']:>7}"
    )
total = figures(next(r for r in rows if r["Name"] == "Aggregated"))
met = total["rps"] >= 300 and float(total["p95"]) < 100 and total["errors"] == 0
print(
    f"\nthroughput {total['rps']:.1f} req/s, p50 {total['p50']} ms, p95 {total['p95']} ms, "
    f"p99 {total['p99']} ms, errors {total['errors']} of {total['requests']}; "
    f"target (>= 300 req/s, p95 < 100 ms, 0 errors) {'met' if met else 'NOT met'}; "
    f"load average before {before}, after {after}"
)

doc = Path("docs/benchmarks.md")
text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
header = "## Load test"
if header not in text:
    text = text.rstrip("\n") + f"""

{header}

Written by `make load` (scripts/load.sh, bench/locustfile.py): the production stack on loopback
(gunicorn with debug off, a Celery worker, Redis as broker and cache, PostgreSQL) on the
100,000-account data set of bench/api_bench.py, driven by locust (headless) at a steady offered
rate with a read-only API key: the accounts list (50-row first page; a 50-row page filtered by
vertical and colour, ordered by score; the next page through the cursor), the health of a
random account (`/api/v1/accounts/{external_id}/health/`, from mix rows that name it on) and
`/healthz`, `/readyz`, in the weights of the "mix" column; list pages come from the accounts-list page
cache after the first request of each (scope, query) unless the row says "no list cache"
(docs/production.md). Locust runs on the same 2 cores as gunicorn,
the worker and PostgreSQL. Target: >= 300 requests/s with p95 < 100 ms and no errors.
One row per run, newest last; the load average is the machine's (other work included).

| date (UTC) | accounts | offered (users x req/s) | mix | gunicorn | seconds | throughput req/s | p50 ms | p95 ms | p99 ms | errors / requests | target | load average before / after |
| --- | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |
"""
lines = text.rstrip("\n").split("\n")
start = lines.index(header)
end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
last_row = max(i for i in range(start, end) if lines[i].startswith("|"))
row = (
    f"| {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} | {int(accounts):,} | {users} x {rate} | {mix} | "
    f"{workers} workers x {threads} threads, {cache} | {seconds} | {total['rps']:.1f} | {total['p50']} | {total['p95']} | "
    f"{total['p99']} | {total['errors']} / {total['requests']} | {'met' if met else 'not met'} | "
    f"{before} / {after} |"
)
lines.insert(last_row + 1, row)
doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
print(f"appended to {doc}")
PYEOF
