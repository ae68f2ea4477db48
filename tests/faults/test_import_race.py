"""Two overlapping imports at once: a recompute that read the feed before the other import committed
must not overwrite the other import's newer rollup.

File A has apps 0-2 and file B apps 3-5 of the same (account, day) keys for
the overlapping accounts, so the day's rollup of those accounts needs both
files. Import A's after-ingest recompute reads the feed in one statement
(`INSERT INTO metrics_accountdayusage … SELECT … GROUP BY … ON CONFLICT DO
UPDATE`); if import B commits and recomputes while that statement runs, A's
statement - whose snapshot predates B - then writes its older sums over B's
newer ones (READ COMMITTED: ON CONFLICT DO UPDATE updates the latest row
version with values from the statement's own snapshot).

The test holds that window open deterministically instead of hoping for it: an
uncommitted rollup row of an account only A has makes A's statement wait
(sort-based grouping, forced for the test database, makes it reach that
account first); meanwhile B imports and recomputes to the end; then the
row is rolled back and A's statement finishes.
"""

from __future__ import annotations

import time

import psycopg
import pytest

from bench.run import make_accounts
from core.days import last_complete_day

from . import feeds, snapshots
from .conftest import database_url_of_tests, fetch, manage, start_manage

pytestmark = pytest.mark.faults

ACCOUNTS = 30
OVERLAP = range(11, 21)  # in both files
DAYS = 2


def _write(path, *, accounts, ranks, days) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(feeds.HEADER)
        for n in accounts:
            for day in days:
                for rank in ranks:
                    handle.write(feeds.row(n, day, rank))


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_imports_keep_the_newer_rollup(tmp_path):
    make_accounts(ACCOUNTS)
    days = feeds.last_days(DAYS, last=last_complete_day())
    first, second, union = (tmp_path / f"{n}.csv" for n in ("a", "b", "union"))
    _write(first, accounts=range(1, 21), ranks=(0, 1, 2), days=days)
    _write(second, accounts=range(11, ACCOUNTS + 1), ranks=(3, 4, 5), days=days)
    feeds.write(union, accounts=[], days=days)
    with union.open("a", encoding="utf-8") as handle:
        handle.write(first.read_text().split("\n", 1)[1])
        handle.write(second.read_text().split("\n", 1)[1])
    database = fetch("SELECT current_database()")[0][0]
    account_one = fetch("SELECT id FROM accounts_account WHERE external_id = 'bench-000001'")[0][0]

    running = []
    try:
        # The reference: the union imported once.
        assert manage("import_usage", str(union)).returncode == 0
        snapshots.take(snapshots.ROLLUP, "union_rollup")
        snapshots.take(snapshots.STATUS, "union_status")
        snapshots.clear(snapshots.APP_FEED, snapshots.ROLLUP, snapshots.STATUS, snapshots.PENDING)

        fetch(f'ALTER DATABASE "{database}" SET enable_hashagg = off')
        blocker = psycopg.connect(database_url_of_tests())
        try:
            blocker.execute(
                f"INSERT INTO {snapshots.ROLLUP} (account_id, day, minutes, apps_used, "
                "analytics_minutes) VALUES (%s, %s, 0, 0, 0)",
                [account_one, days[0]],
            )
            importing_a = start_manage("import_usage", str(first))
            running.append(importing_a)
            waiting = (
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE '%%INSERT INTO metrics_accountdayusage%%'"
            )
            deadline = time.monotonic() + 60
            while fetch(waiting)[0][0] == 0:
                assert importing_a.poll() is None, importing_a.communicate()
                assert time.monotonic() < deadline, "A's recompute never reached the rollup"
                time.sleep(0.05)
            # A's rollup statement has its snapshot and waits; B imports and recomputes. Once the
            # engine orders concurrent recomputes, B waits for A instead: then release A too.
            importing_b = start_manage("import_usage", str(second))
            running.append(importing_b)
            lock_waits = (
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            deadline = time.monotonic() + 60
            while importing_b.poll() is None and fetch(lock_waits)[0][0] < 2:
                assert time.monotonic() < deadline, "B neither finished nor waited for A"
                time.sleep(0.05)
        finally:
            blocker.rollback()
            blocker.close()
        for process in (importing_a, importing_b):
            _out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err

        assert snapshots.differences(snapshots.ROLLUP, "union_rollup") == (0, 0)
        assert snapshots.differences(snapshots.STATUS, "union_status") == (0, 0)
    finally:
        for process in running:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=10)
        fetch(f'ALTER DATABASE "{database}" RESET enable_hashagg')
        snapshots.drop("union_rollup", "union_status")
