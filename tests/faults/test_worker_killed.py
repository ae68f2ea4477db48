"""A Celery worker killed with SIGKILL in the middle of a large recompute; a new worker finishes it.

The recompute is sent the way production sends one (`metrics.recompute_range`
→ a durable PendingRecompute row → the sweep → `run_pending_recompute`) to a
real `celery -A config worker` process. Once some days' status rows are
committed, the whole worker (main process and pool child) gets SIGKILL: no
clean-up, no acknowledgement, its database session cut mid-statement. The
pending row stays, held by the dead worker's lease (RECOMPUTE_LEASE, 30
minutes); the test moves that lease into the past - what waiting 30 minutes
would do - and sends the sweep, as beat does every 5 minutes. A second worker
then takes the row over, and the stored AccountDailyStatus must equal a clean
in-process run's, row for row.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bench.run import generate_connectors_visits_requirements, generate_window, make_accounts
from core.days import last_complete_day
from metrics import compute
from metrics.models import PendingRecompute

from . import snapshots
from .conftest import send_task, wait_for

pytestmark = pytest.mark.faults

ACCOUNTS = 3_000
APPS = 6
FEED_DAYS = 30  # a full window of feed behind every day recomputed
DAYS = 12  # days recomputed


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_recompute_then_new_worker_matches_clean_run(private_redis, start_worker):
    last = last_complete_day()
    first = last - dt.timedelta(days=DAYS - 1)
    feed_first = last - dt.timedelta(days=FEED_DAYS - 1)
    ids = make_accounts(ACCOUNTS)
    generate_window(first=feed_first, last=last, ids=ids, apps=APPS)
    generate_connectors_visits_requirements(first=feed_first, last=last, ids=ids)

    try:
        # The reference: a clean run, in-process, then everything it wrote is wiped.
        compute.recompute(start=first, end=last)
        full = snapshots.take(snapshots.STATUS, "clean_status")
        assert full == ACCOUNTS * DAYS
        snapshots.clear(snapshots.STATUS, snapshots.ROLLUP)

        first_worker = start_worker(private_redis.url)
        send_task(private_redis.url, "metrics.recompute_range", first.isoformat(), last.isoformat())
        # Kill once a few days are committed, well before the last one.
        started = wait_for(
            lambda: snapshots.count(snapshots.STATUS) >= 3 * ACCOUNTS, seconds=90, interval=0.05
        )
        assert started, f"the worker never got going:\n{first_worker.output()}"
        first_worker.kill()
        written = snapshots.count(snapshots.STATUS)
        assert written < full, "the recompute finished before the kill; make the data set larger"

        # The durable row survived the worker, still held by the dead worker's lease.
        pending = PendingRecompute.objects.get()
        assert pending.claimed_until is not None
        assert pending.attempts == 1

        # 30 minutes later (the lease and the re-dispatch guard expire), beat sends the sweep.
        expired = pending.claimed_until - dt.timedelta(hours=1)
        PendingRecompute.objects.update(claimed_until=expired, dispatched_at=expired)
        second_worker = start_worker(private_redis.url)
        send_task(private_redis.url, "metrics.sweep_pending_recomputes")
        finished = wait_for(
            lambda: not PendingRecompute.objects.exists(), seconds=120, interval=0.5
        )
        assert finished, f"the second worker did not finish:\n{second_worker.output()}"

        assert snapshots.count(snapshots.STATUS) == full
        assert snapshots.differences(snapshots.STATUS, "clean_status") == (0, 0)
    finally:
        snapshots.drop("clean_status")
