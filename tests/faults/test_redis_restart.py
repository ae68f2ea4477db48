"""Redis restarted during an ingest-triggered recompute: nothing lost, nothing doubled.

The Redis here keeps nothing on disk, like the machine's: a restart drops every
queued message. The ingest (a real `manage.py import_usage` process) writes
the PendingRecompute row in its own transaction and sends the sweep on
commit; when Redis restarts before a worker has taken that message, only the
durable row remembers the recompute. The periodic sweep (beat, every 5
minutes; sent by the test here) finds it and a worker runs it. A worker that
was connected while Redis restarted must reconnect and keep working, and
re-sending a file must not double anything.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bench.run import make_accounts
from core.days import last_complete_day
from metrics import compute
from metrics.models import AppUsage, PendingRecompute

from . import feeds, snapshots
from .conftest import manage, send_task, wait_for

pytestmark = pytest.mark.faults

ACCOUNTS = 60


def _queued(redis_client) -> int:
    return redis_client.llen("celery")


@pytest.mark.django_db(transaction=True)
def test_redis_restart_loses_no_recompute_and_doubles_nothing(
    private_redis, start_worker, tmp_path
):
    make_accounts(ACCOUNTS)
    last = last_complete_day()
    first_file = tmp_path / "usage-1.csv"
    first_rows = feeds.write(
        first_file, accounts=range(1, ACCOUNTS + 1), days=feeds.last_days(3, last=last)
    )

    # 1. The ingest commits with no worker running: its sweep message waits in Redis.
    result = manage("import_usage", str(first_file), broker_url=private_redis.url)
    assert result.returncode == 0, result.stderr
    assert PendingRecompute.objects.count() == 1
    assert _queued(private_redis.client()) == 1

    # 2. Redis restarts: the message is gone, the durable row is not.
    private_redis.restart()
    assert _queued(private_redis.client()) == 0
    assert PendingRecompute.objects.count() == 1

    # 3. A worker comes up; beat's sweep finds the row and the recompute happens.
    worker = start_worker(private_redis.url)
    send_task(private_redis.url, "metrics.sweep_pending_recomputes")
    assert wait_for(lambda: not PendingRecompute.objects.exists(), seconds=60, interval=0.25), (
        worker.output()
    )
    assert AppUsage.objects.count() == first_rows
    assert snapshots.count(snapshots.STATUS) == ACCOUNTS * 3

    # 4. Redis restarts under the connected worker; the next ingest (the same file again,
    #    plus a new day) still gets recomputed by that same worker once it has reconnected.
    private_redis.restart()
    second_file = tmp_path / "usage-2.csv"
    feeds.write(second_file, accounts=range(1, ACCOUNTS + 1), days=feeds.last_days(4, last=last))
    result = manage("import_usage", str(second_file), broker_url=private_redis.url)
    assert result.returncode == 0, result.stderr
    assert wait_for(lambda: not PendingRecompute.objects.exists(), seconds=90, interval=0.25), (
        worker.output()
    )
    assert worker.process.poll() is None, "the worker died with Redis"

    # Nothing doubled: one feed row per key, and the status equals a clean recompute's.
    assert AppUsage.objects.count() == ACCOUNTS * 4 * len(feeds.APPS)
    try:
        snapshots.take(snapshots.STATUS, "worker_status")
        snapshots.clear(snapshots.STATUS, snapshots.ROLLUP)
        compute.recompute(start=last - dt.timedelta(days=3), end=last)
        assert snapshots.count(snapshots.STATUS) == ACCOUNTS * 4
        assert snapshots.differences(snapshots.STATUS, "worker_status") == (0, 0)
    finally:
        snapshots.drop("worker_status")
