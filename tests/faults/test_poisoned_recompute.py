"""A poisoned row does not block other recomputes: a real worker keeps sweeping past a failing one.

A pending recompute whose feed rows cannot be summed (written straight into the
feed table, past the ingest's bounds: two apps of `2**63 - 1` minutes on one day
overflow the rollup's BIGINT) fails in a real `celery -A config worker`. The
worker must record the error on its row and back off, while the recompute
queued beside it - and one queued later, as an unrelated ingest would - runs.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.days import business_today
from metrics.models import AccountDailyStatus, PendingRecompute
from tests import factories

from .conftest import send_task, wait_for

pytestmark = pytest.mark.faults


@pytest.mark.django_db(transaction=True)
def test_a_poisoned_row_does_not_block_other_recomputes(private_redis, start_worker):
    day = business_today() - dt.timedelta(days=3)
    poisoned_account, healthy, later = (
        factories.AccountFactory(external_id=f"ent-p{n}") for n in range(3)
    )
    factories.app_usage(poisoned_account, day, "chat", 2**63 - 1)
    factories.app_usage(poisoned_account, day, "docs", 2**63 - 1)
    factories.app_usage(healthy, day, "chat", 90)
    # Rows written directly (not schedule_recompute): in this process tasks would run in-process.
    poisoned = PendingRecompute.objects.create(
        start=day, end=day, account_ids=[poisoned_account.pk], reason="manual"
    )
    first = PendingRecompute.objects.create(
        start=day, end=day, account_ids=[healthy.pk], reason="manual"
    )

    worker = start_worker(private_redis.url)
    send_task(private_redis.url, "metrics.sweep_pending_recomputes")

    def settled() -> bool:
        row = PendingRecompute.objects.filter(pk=poisoned.pk).first()
        return (
            not PendingRecompute.objects.filter(pk=first.pk).exists()
            and row is not None
            and row.last_error != ""
        )

    assert wait_for(settled, seconds=90, interval=0.2), worker.output()
    poisoned.refresh_from_db()
    assert "out of range" in poisoned.last_error, poisoned.last_error
    assert poisoned.attempts == 1 and poisoned.claimed_until is None
    assert poisoned.next_attempt_at > poisoned.failed_at
    assert AccountDailyStatus.objects.filter(account=healthy, day=day, minutes=90).exists()

    # A later, unrelated recompute runs too; the poisoned one waits for its backoff.
    second = PendingRecompute.objects.create(
        start=day, end=day, account_ids=[later.pk], reason="ingest"
    )
    send_task(private_redis.url, "metrics.sweep_pending_recomputes")
    assert wait_for(
        lambda: not PendingRecompute.objects.filter(pk=second.pk).exists(), seconds=60
    ), worker.output()
    assert AccountDailyStatus.objects.filter(account=later, day=day).exists()
    poisoned.refresh_from_db()
    assert poisoned.attempts == 1
    assert not AccountDailyStatus.objects.filter(account=poisoned_account).exists()
