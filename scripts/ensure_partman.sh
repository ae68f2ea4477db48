#!/usr/bin/env bash
# pg_partman (the kept tool behind the monthly partitions, metrics/migrations/0012) must be
# installed in the local PostgreSQL server: Debian's postgresql-<major>-partman, installed here
# when missing and we are root (like chromium for the browser tests).
set -uo pipefail
shopt -s nullglob
controls=(/usr/share/postgresql/*/extension/pg_partman.control)
if [ ${#controls[@]} -gt 0 ]; then
  exit 0
fi
major=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n1)
if [ -z "$major" ]; then
  echo "no local PostgreSQL found: install pg_partman in your server (postgresql-<major>-partman)" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's postgresql-$major-partman (pg_partman) for the monthly partitions"
  if (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$major-partman" || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$major-partman")) >/tmp/frontline-partman.log 2>&1; then
    exit 0
  fi
  echo "could not install postgresql-$major-partman (see /tmp/frontline-partman.log)" >&2
else
  echo "pg_partman missing and cannot be installed here: apt-get install postgresql-$major-partman" >&2
fi
exit 1
