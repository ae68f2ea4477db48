"""The database connection dropped during an import: all or nothing, a clear message, and a re-run succeeds.

A real `manage.py import_usage` process loads a large file (the PostgreSQL
COPY path); while it runs, another connection ends the importing backend with
`pg_terminate_backend` - what a database restart, a failover or a network cut
does to a session. The import is one transaction, so none of it may be left
behind.

Two moments are cut:
- during the COPY of the file into the raw staging table: the service treats
  any COPY error as "COPY refused the file" (_CopyFallback) and re-reads the
  file through the Python path, on a new connection Django opens by itself;
  so today the import *succeeds* there, loading every row exactly once. The
  test accepts either outcome of the contract - everything or nothing;
- during the upsert into the feed table: the import fails and nothing is loaded.
"""

from __future__ import annotations

import time

import pytest

from bench.run import make_accounts, write_feed_csv
from core.days import last_complete_day
from metrics.models import AppUsage, PendingRecompute

from . import snapshots
from .conftest import fetch, manage, start_manage

pytestmark = pytest.mark.faults

ACCOUNTS = 10_000
APPS = 10

# What the importing backend runs while loading: the COPY of the file, then the upsert.
COPY = "COPY metrics_raw_%%"
UPSERT = "WITH up AS (INSERT INTO metrics_appusage%%"


def _terminate_when_running(process, statement: str, *, seconds: float = 60) -> None:
    """Wait until the import's backend runs `statement` (a LIKE pattern), then end that backend."""
    sql = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE %s"
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        for (pid,) in fetch(sql, [statement.replace("%%", "%")]):
            fetch("SELECT pg_terminate_backend(%s)", [pid])
            return
        time.sleep(0.02)
    raise AssertionError(f"the import never ran {statement!r}")


def _cut_import(path, statement: str) -> tuple[int, str, str]:
    """Run import_usage on `path`, cutting its connection during `statement`; (exit code, stdout, stderr)."""
    process = start_manage("import_usage", str(path))
    try:
        _terminate_when_running(process, statement)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    return process.returncode, out, err


@pytest.fixture
def large_file(transactional_db, tmp_path):
    make_accounts(ACCOUNTS)
    path = tmp_path / "usage.csv"
    rows = write_feed_csv(path, day=last_complete_day(), apps=APPS)
    return path, rows


@pytest.mark.django_db(transaction=True)
def test_connection_dropped_during_import_is_all_or_nothing_and_rerun_succeeds(large_file):
    path, rows = large_file

    # Cut during the COPY: everything (re-read on a new connection) or nothing.
    code, out, err = _cut_import(path, COPY)
    loaded = AppUsage.objects.count()
    if code == 0:
        assert loaded == rows, out
        assert f"loaded {rows}, created {rows}" in out
    else:
        assert loaded == 0, err[-2000:]
        assert not PendingRecompute.objects.exists()
    snapshots.clear(snapshots.APP_FEED, snapshots.ROLLUP, snapshots.STATUS, snapshots.PENDING)

    # Cut during the upsert: the import fails; no feed row, no recompute owed, no status.
    code, out, err = _cut_import(path, UPSERT)
    assert code != 0, f"the import claimed success after losing its connection: {out}"
    assert AppUsage.objects.count() == 0
    assert not PendingRecompute.objects.exists()
    assert snapshots.count(snapshots.STATUS) == 0

    # Running it again succeeds, and loads every row once.
    result = manage("import_usage", str(path))
    assert result.returncode == 0, result.stderr
    assert f"loaded {rows}, created {rows}" in result.stdout
    assert AppUsage.objects.count() == rows


@pytest.mark.django_db(transaction=True)
def test_connection_dropped_during_import_says_so_in_one_clear_line(large_file):
    path, _rows = large_file
    code, _out, err = _cut_import(path, UPSERT)
    assert code != 0
    assert "Traceback" not in err, err[-1500:]
    assert "nothing was loaded" in err.lower(), err[-1500:]
