"""Two real Celery worker processes share a recompute: each takes chunks (ranges of accounts).

The sweep splits "every account" into account-id ranges (recompute_queue) and
sends one task per chunk; each worker process claims its chunk's row with the
lease, so the two run side by side with nothing scheduled by hand. The rows
they write equal an in-process recompute's. Needs FRONTLINE_TEST_BROKER_URL
(scripts/run_tests.sh sets it in the PostgreSQL pass).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction

from core.days import last_complete_day
from metrics import compute, recompute_queue
from metrics.models import AccountDailyStatus, App, AppUsage, PendingRecompute
from tests import factories
from tests.real_celery import requires_broker, wait_for, worker_processes

pytestmark = [
    *requires_broker,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="workers share PostgreSQL"),
]

ACCOUNTS = 60
CHUNK = 10
DAYS = 3


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_split_the_chunks_of_a_recompute(tmp_path):
    accounts = [factories.AccountFactory(external_id=f"two-{n}") for n in range(ACCOUNTS)]
    apps = list(App.objects.order_by("id")[:4])
    last = last_complete_day()
    first = last - dt.timedelta(days=DAYS - 1)
    AppUsage.objects.bulk_create(
        AppUsage(account=account, day=day, app=app, minutes=(n * 7 + i * 13) % 90, active_users=1)
        for n, account in enumerate(accounts)
        for i, app in enumerate(apps)
        for day in compute.days_in(first, last)
    )
    with worker_processes("frontline-two", 2, tmp_path) as logs:
        with transaction.atomic():  # split before the sweep (sent on commit) sees the row
            recompute_queue.schedule_recompute(start=first, end=last)
            added = recompute_queue.split_pending_recomputes(chunk_accounts=CHUNK)
        assert added == ACCOUNTS // CHUNK
        assert wait_for(lambda: not PendingRecompute.objects.exists(), 120), (
            "the workers did not finish the recompute"
        )
    done = [
        len(re.findall(r"run_pending_recompute\[[^\]]+\] succeeded", log.read_text()))
        for log in logs
    ]
    assert sum(done) == ACCOUNTS // CHUNK
    assert all(n >= 1 for n in done), f"one worker took every chunk: {done}"
    assert AccountDailyStatus.objects.count() == ACCOUNTS * DAYS
    # What the workers wrote is what one process computing every window whole writes.
    assert compute.recompute(start=first, end=last, window=compute.WINDOW_WHOLE) == 0
