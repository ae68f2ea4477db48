#!/usr/bin/env bash
# Runs the suite on SQLite with in-process tasks, then again on PostgreSQL (and
# with a real Celery worker on Redis) when those services answer.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/frontline}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
WORKERS=${PYTEST_WORKERS:-2}
status=0

# Browser tests drive Debian's chromium (never a downloaded browser).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei) >/tmp/frontline-apt.log 2>&1 \
      || echo "could not install chromium (see /tmp/frontline-apt.log); browser tests will be skipped"
  else
    echo "chromium missing and cannot be installed here; browser tests will be skipped"
  fi
fi

# The sign-in tests run a real OpenID Connect provider (npm's oidc-provider) under Node.
if command -v npm >/dev/null 2>&1; then
  (cd tests/sso/provider && npm ci --no-audit --no-fund --prefer-offline --loglevel=error) \
    || echo "npm ci failed in tests/sso/provider; the sign-in tests will install it or fail"
else
  echo "node/npm missing: the sign-in tests against a real provider will be skipped"
fi

# The monthly partitions (metrics/migrations/0012) need pg_partman in the PostgreSQL server.
bash scripts/ensure_partman.sh || true

echo "== tests on SQLite, tasks in-process =="
env -u DATABASE_URL -u CELERY_BROKER_URL $PY -m pytest -q -n "$WORKERS" -m "not celery_real" "$@" || status=1

if $PY - "$PG_URL" <<'PYEOF'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable ({exc.__class__.__name__}); skipping the PostgreSQL pass")
    sys.exit(1)
PYEOF
then
  echo "== tests on PostgreSQL =="
  if $PY -c "import redis,sys; redis.Redis.from_url('$REDIS_URL', socket_connect_timeout=2).ping()" 2>/dev/null; then
    export FRONTLINE_TEST_BROKER_URL=$REDIS_URL
  else
    echo "Redis not reachable; skipping the real Celery worker tests"
  fi
  DATABASE_URL=$PG_URL $PY -m pytest -q -n "$WORKERS" "$@" || status=1
fi
exit $status
