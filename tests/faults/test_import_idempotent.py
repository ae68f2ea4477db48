"""The same feed file imported twice, and two overlapping files imported at once, equal one import of their union.

Real `manage.py import_usage` processes on PostgreSQL (the COPY path), with
no broker: each recomputes in-process after its commit, as a fresh machine
does. Compared row for row: the feed table, the per-day rollup and the
daily status.
"""

from __future__ import annotations

import pytest

from bench.run import make_accounts
from core.days import last_complete_day

from . import feeds, snapshots
from .conftest import manage, start_manage

pytestmark = pytest.mark.faults

ACCOUNTS = 1_500
DAYS = 4
TABLES = (snapshots.APP_FEED, snapshots.ROLLUP, snapshots.STATUS)


def _snapshot(prefix: str) -> None:
    for table in TABLES:
        snapshots.take(table, f"{prefix}_{table}")


def _assert_equal_to(prefix: str) -> None:
    for table in TABLES:
        assert snapshots.differences(table, f"{prefix}_{table}") == (0, 0), table


def _reset() -> None:
    snapshots.clear(*TABLES, snapshots.PENDING)


def _import(path) -> str:
    result = manage("import_usage", str(path))
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.django_db(transaction=True)
def test_same_file_twice_and_overlapping_files_at_once_equal_one_import_of_the_union(tmp_path):
    make_accounts(ACCOUNTS)
    days = feeds.last_days(DAYS, last=last_complete_day())
    half, overlap = ACCOUNTS // 2, ACCOUNTS // 5
    first = tmp_path / "first.csv"
    second = tmp_path / "second.csv"
    union = tmp_path / "union.csv"
    # Accounts 1..half+overlap and half-overlap+1..ACCOUNTS: 2 x overlap accounts in both.
    feeds.write(first, accounts=range(1, half + overlap + 1), days=days)
    feeds.write(second, accounts=range(half - overlap + 1, ACCOUNTS + 1), days=days)
    union_rows = feeds.write(union, accounts=range(1, ACCOUNTS + 1), days=days)
    try:
        # The reference: one import of the union.
        assert f"created {union_rows}" in _import(union)
        assert snapshots.count(snapshots.STATUS) == ACCOUNTS * DAYS
        _snapshot("union")

        # The union again: nothing created, nothing changed.
        assert f"created 0, updated {union_rows}" in _import(union)
        _assert_equal_to("union")

        # The two overlapping files at once, in two processes.
        _reset()
        running = [start_manage("import_usage", str(path)) for path in (first, second)]
        for process in running:
            _out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
        _assert_equal_to("union")
    finally:
        snapshots.drop(*(f"union_{table}" for table in TABLES))
