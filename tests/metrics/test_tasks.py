"""Recompute scheduling: durable pending rows, chunked fan-out, leases and locks, the beat schedule, admin."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.days import last_complete_day
from metrics import compute, recompute_queue, tasks
from metrics.models import AccountDailyStatus, MetricPolicy, PendingRecompute
from metrics.status_sql import AccountFilter
from tests import factories

pytestmark = pytest.mark.django_db

D = dt.date(2025, 1, 15)


def test_every_account_is_split_into_chunks_and_run(accounts):
    recompute_queue.schedule_recompute(start=D, end=D + dt.timedelta(days=1))
    assert recompute_queue.split_pending_recomputes(chunk_accounts=2) == 2
    chunks = list(PendingRecompute.objects.values_list("account_id_from", "account_id_to"))
    assert chunks[0] == (0, accounts[1].pk)
    assert chunks[1][0] == accounts[2].pk
    ids = recompute_queue.pending_to_dispatch()
    assert len(ids) == 2
    assert (
        recompute_queue.pending_to_dispatch() == []
    )  # just sent: not again until the lease runs out
    assert [recompute_queue.run_pending_recompute(pending_id=i) for i in ids] == [4, 2]
    assert AccountDailyStatus.objects.count() == 6
    assert not PendingRecompute.objects.exists()


def test_long_account_lists_are_split(accounts):
    recompute_queue.schedule_recompute(start=D, end=D, account_ids=[a.pk for a in accounts])
    recompute_queue.split_pending_recomputes(chunk_accounts=2)
    assert sorted(len(p.account_ids) for p in PendingRecompute.objects.all()) == [1, 2]


def test_a_claimed_recompute_is_not_run_twice(accounts):
    pending = recompute_queue.schedule_recompute(start=D, end=D)
    PendingRecompute.objects.filter(pk=pending.pk).update(
        claimed_until=timezone.now() + dt.timedelta(minutes=5)
    )
    assert recompute_queue.run_pending_recompute(pending_id=pending.pk) is None
    assert PendingRecompute.objects.filter(pk=pending.pk).exists()
    assert not AccountDailyStatus.objects.exists()
    # Once the lease has run out (the worker died), another worker takes it over.
    PendingRecompute.objects.filter(pk=pending.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert recompute_queue.run_pending_recompute(pending_id=pending.pk) == 3
    assert not PendingRecompute.objects.exists()


def test_the_same_chunk_is_not_recomputed_by_two_workers_at_once(accounts):
    pending = recompute_queue.schedule_recompute(start=D, end=D)
    with (
        recompute_queue.chunk_lock(recompute_queue.chunk_lock_key(pending)),
        pytest.raises(recompute_queue.ChunkBusy),
    ):
        recompute_queue.run_pending_recompute(pending_id=pending.pk)
    # The claim was released, so a retry (or the sweep) runs it.
    pending.refresh_from_db()
    assert pending.claimed_until is None and pending.attempts == 1
    assert recompute_queue.run_pending_recompute(pending_id=pending.pk) == 3


def test_sweep_task_runs_everything_pending(accounts):
    recompute_queue.schedule_recompute(start=D, end=D, account_ids=[accounts[0].pk])
    recompute_queue.schedule_recompute(start=D, end=D, account_ids=[accounts[1].pk])
    assert tasks.sweep_pending_recomputes.delay().get() == 2
    assert sorted(AccountDailyStatus.objects.values_list("account_id", flat=True)) == [
        accounts[0].pk,
        accounts[1].pk,
    ]


def test_nightly_task_recomputes_yesterday(accounts, django_capture_on_commit_callbacks):
    yesterday = last_complete_day()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.recompute_yesterday.delay()
    assert set(AccountDailyStatus.objects.values_list("day", flat=True)) == {yesterday}
    assert AccountDailyStatus.objects.count() == len(accounts)


def test_recompute_range_task(accounts, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.recompute_range.delay("2025-01-01", "2025-01-02", [accounts[0].pk])
    assert AccountDailyStatus.objects.count() == 2


def test_beat_schedule_nightly_at_2_shanghai():
    nightly = PeriodicTask.objects.get(task="metrics.recompute_yesterday")
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("2", "0")
    assert str(nightly.crontab.timezone) == "Asia/Shanghai"
    assert nightly.enabled
    sweep = PeriodicTask.objects.get(task="metrics.sweep_pending_recomputes")
    assert (sweep.interval.every, sweep.interval.period) == (5, "minutes")


def test_tasks_ack_late_and_retry_on_database_errors():
    for task in (
        tasks.run_pending_recompute,
        tasks.sweep_pending_recomputes,
        tasks.recompute_yesterday,
    ):
        assert task.acks_late is True
        assert task.max_retries == 8
        assert task.retry_backoff


def test_policy_change_in_the_admin_saves_a_version_and_recomputes(
    client, superuser, accounts, django_capture_on_commit_callbacks
):
    yesterday = last_complete_day()
    factories.app_usage(accounts[0], yesterday, "chat", 20)
    factories.app_usage(accounts[0], yesterday, "docs", 20)
    current = MetricPolicy.objects.latest()
    client.force_login(superuser)
    data = {
        k: v
        for k, v in model_to_dict(current).items()
        if k not in ("id", "created_by", "created_at") and v is not None
    }
    data.update(dag_min_apps=2, dag_min_minutes=40, note="two apps are enough")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/metrics/metricpolicy/{current.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    assert MetricPolicy.objects.count() == 2
    new = MetricPolicy.objects.latest()
    assert (new.dag_min_apps, new.created_by, new.note) == (2, superuser, "two apps are enough")
    current.refresh_from_db()
    assert current.dag_min_apps == 3  # the old version is kept as it was
    row = AccountDailyStatus.objects.get(account=accounts[0], day=yesterday)
    assert (row.is_dag, row.policy_id) == (True, new.pk)
    assert AccountDailyStatus.objects.filter(day=yesterday).count() == len(accounts)


# --- A recompute that fails does not block the others (issue 15) -------------------------------


def _poison(account, day):
    """Feed rows written past the ingest's checks (straight into the table) whose day sum overflows."""
    factories.app_usage(account, day, "chat", 2**63 - 1)
    factories.app_usage(account, day, "docs", 2**63 - 1)


def test_a_poisoned_recompute_records_its_error_and_the_sweep_goes_on(accounts):
    _poison(accounts[0], D)
    poisoned = recompute_queue.schedule_recompute(start=D, end=D, account_ids=[accounts[0].pk])
    healthy = recompute_queue.schedule_recompute(start=D, end=D, account_ids=[accounts[1].pk])
    tasks.sweep_pending_recomputes.delay().get()  # in-process: no broker in this test run
    assert list(AccountDailyStatus.objects.values_list("account_id", flat=True)) == [accounts[1].pk]
    assert not PendingRecompute.objects.filter(pk=healthy.pk).exists()
    poisoned.refresh_from_db()
    assert poisoned.attempts == 1
    assert "overflow" in poisoned.last_error or "out of range" in poisoned.last_error
    assert poisoned.claimed_until is None and poisoned.failed_at is not None
    first_wait = poisoned.next_attempt_at - poisoned.failed_at
    assert first_wait == recompute_queue.RETRY_FIRST
    assert recompute_queue.recompute_failures() == 1
    # Waiting for its next attempt: the next sweep leaves it alone.
    assert recompute_queue.pending_to_dispatch() == []
    # Due again: it fails again, and waits twice as long.
    PendingRecompute.objects.filter(pk=poisoned.pk).update(next_attempt_at=timezone.now())
    tasks.sweep_pending_recomputes()
    poisoned.refresh_from_db()
    assert poisoned.attempts == 2
    assert poisoned.next_attempt_at - poisoned.failed_at == 2 * recompute_queue.RETRY_FIRST
    # The bad rows are put right: the retry succeeds and the row goes.
    AccountDailyStatus.objects.all().delete()
    from metrics.models import AppUsage

    AppUsage.objects.filter(account=accounts[0], app__code="docs").delete()
    AppUsage.objects.filter(account=accounts[0]).update(minutes=90)
    PendingRecompute.objects.filter(pk=poisoned.pk).update(next_attempt_at=timezone.now())
    tasks.sweep_pending_recomputes()
    assert not PendingRecompute.objects.exists()
    assert recompute_queue.recompute_failures() == 0


def test_readyz_counts_failed_recomputes_and_stays_200(client, accounts):
    assert client.get("/readyz").json()["recompute_failures"] == 0
    _poison(accounts[0], D)
    recompute_queue.schedule_recompute(start=D, end=D, account_ids=[accounts[0].pk])
    tasks.sweep_pending_recomputes()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": True,
        "broker": True,
        "recompute_failures": 1,
    }


def test_the_admin_shows_failed_recomputes_on_its_index_and_list(client, superuser, accounts):
    client.force_login(superuser)
    assert 'id="recompute-failures"' not in client.get("/admin/").content.decode()
    _poison(accounts[0], D)
    recompute_queue.schedule_recompute(start=D, end=D, account_ids=[accounts[0].pk])
    recompute_queue.schedule_recompute(start=D, end=D, account_ids=[accounts[1].pk])
    PendingRecompute.objects.filter(account_ids=[accounts[1].pk]).update(
        next_attempt_at=timezone.now() + dt.timedelta(hours=1)
    )  # not due: stays pending, not failed
    tasks.sweep_pending_recomputes()
    page = client.get("/admin/").content.decode()
    assert 'id="recompute-failures"' in page
    assert "1 recompute failed and waits to be retried" in page
    listing = client.get("/admin/metrics/pendingrecompute/?failed=yes").content.decode()
    assert "overflow" in listing or "out of range" in listing
    assert "1 pending recompute" in listing


def test_a_long_range_holds_a_bounded_number_of_day_locks(accounts):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    held = []

    def count_locks(day):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
            held.append(cursor.fetchone()[0])

    start = D - dt.timedelta(days=399)
    compute.recompute(start=start, end=D, account_ids=[accounts[0].pk], on_day=count_locks)
    assert len(held) == 400
    assert max(held) <= compute.LOCK_BATCH_DAYS
    assert AccountDailyStatus.objects.filter(account=accounts[0]).count() == 400


def test_recomputes_of_other_accounts_on_the_same_day_do_not_wait_for_each_other(accounts):
    """Chunks of a fan-out lock their own account buckets of the day, not the whole day."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    width = compute.LOCK_BUCKET_ACCOUNTS
    first, second = (0, width - 1), (width, 2 * width - 1)
    assert compute._lock_buckets(AccountFilter(id_range=first)) == [0]
    assert compute._lock_buckets(AccountFilter(id_range=second)) == [1]
    # Any two filters sharing an account share its bucket's lock.
    shared = accounts[0].pk
    assert set(compute._lock_buckets(AccountFilter(account_ids=(shared,)))) <= set(
        compute._lock_buckets(AccountFilter(id_range=(0, shared)))
    )
    # An open-ended last chunk stops just past the highest account id.
    assert len(compute._lock_buckets(AccountFilter(id_range=(0, 2**63 - 1)))) <= (
        max(a.pk for a in accounts) // width + 2
    )
    held = []

    def count_locks(day):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
            held.append(sorted(row[0] for row in cursor.fetchall()))

    compute.recompute(start=D, end=D, account_id_range=first, on_day=count_locks)
    compute.recompute(start=D, end=D, account_id_range=second, on_day=count_locks)
    assert held[0] and held[1] and not set(held[0]) & set(held[1])


def test_large_chunks_start_on_lock_bucket_edges(monkeypatch):
    """Two chunks never share a lock bucket, so two workers never wait for each other's lock."""
    monkeypatch.setattr(compute, "LOCK_BUCKET_ACCOUNTS", 4)
    created = [factories.AccountFactory(external_id=f"edge-{n}") for n in range(40)]
    chunks = recompute_queue._account_id_chunks(16)
    assert len(chunks) == 3
    assert chunks[0][0] == 0 and chunks[-1][1] == 2**63 - 1
    for (_low, high), (next_low, _high) in itertools.pairwise(chunks):
        assert next_low == high + 1 and next_low % 4 == 0
    for account in created:  # every account in exactly one chunk
        assert sum(low <= account.pk <= high for low, high in chunks) == 1
