"""Recompute scheduling: durable pending rows, chunked fan-out, leases and locks, the beat schedule, admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from metrics import compute, services, tasks
from metrics.models import AccountDailyStatus, MetricPolicy, PendingRecompute
from tests import factories

pytestmark = pytest.mark.django_db

D = dt.date(2025, 1, 15)


def test_every_account_is_split_into_chunks_and_run(accounts):
    services.schedule_recompute(start=D, end=D + dt.timedelta(days=1))
    assert services.split_pending_recomputes(chunk_accounts=2) == 2
    chunks = list(PendingRecompute.objects.values_list("account_id_from", "account_id_to"))
    assert chunks[0] == (0, accounts[1].pk)
    assert chunks[1][0] == accounts[2].pk
    ids = services.pending_to_dispatch()
    assert len(ids) == 2
    assert services.pending_to_dispatch() == []  # just sent: not again until the lease runs out
    assert [services.run_pending_recompute(pending_id=i) for i in ids] == [4, 2]
    assert AccountDailyStatus.objects.count() == 6
    assert not PendingRecompute.objects.exists()


def test_long_account_lists_are_split(accounts):
    services.schedule_recompute(start=D, end=D, account_ids=[a.pk for a in accounts])
    services.split_pending_recomputes(chunk_accounts=2)
    assert sorted(len(p.account_ids) for p in PendingRecompute.objects.all()) == [1, 2]


def test_a_claimed_recompute_is_not_run_twice(accounts):
    pending = services.schedule_recompute(start=D, end=D)
    PendingRecompute.objects.filter(pk=pending.pk).update(
        claimed_until=timezone.now() + dt.timedelta(minutes=5)
    )
    assert services.run_pending_recompute(pending_id=pending.pk) is None
    assert PendingRecompute.objects.filter(pk=pending.pk).exists()
    assert not AccountDailyStatus.objects.exists()
    # Once the lease has run out (the worker died), another worker takes it over.
    PendingRecompute.objects.filter(pk=pending.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert services.run_pending_recompute(pending_id=pending.pk) == 3
    assert not PendingRecompute.objects.exists()


def test_the_same_chunk_is_not_recomputed_by_two_workers_at_once(accounts):
    pending = services.schedule_recompute(start=D, end=D)
    with (
        services.chunk_lock(services.chunk_lock_key(pending)),
        pytest.raises(services.ChunkBusy),
    ):
        services.run_pending_recompute(pending_id=pending.pk)
    # The claim was released, so a retry (or the sweep) runs it.
    pending.refresh_from_db()
    assert pending.claimed_until is None and pending.attempts == 1
    assert services.run_pending_recompute(pending_id=pending.pk) == 3


def test_sweep_task_runs_everything_pending(accounts):
    services.schedule_recompute(start=D, end=D, account_ids=[accounts[0].pk])
    services.schedule_recompute(start=D, end=D, account_ids=[accounts[1].pk])
    assert tasks.sweep_pending_recomputes.delay().get() == 2
    assert sorted(AccountDailyStatus.objects.values_list("account_id", flat=True)) == [
        accounts[0].pk,
        accounts[1].pk,
    ]


def test_nightly_task_recomputes_yesterday(accounts, django_capture_on_commit_callbacks):
    yesterday = compute.business_today() - dt.timedelta(days=1)
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
    yesterday = compute.business_today() - dt.timedelta(days=1)
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
