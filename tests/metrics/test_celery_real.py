"""A real Celery worker on the real Redis runs the after-ingest recompute; the stored status is checked.

Runs only when FRONTLINE_TEST_BROKER_URL is set (scripts/run_tests.sh sets it
in the PostgreSQL pass). The worker is a thread consuming a queue of its own,
so parallel test processes on the same Redis do not take each other's tasks.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from config.celery import app
from metrics import compute, services
from metrics.models import AccountDailyStatus, PendingRecompute
from tests import factories

BROKER_URL = os.environ.get("FRONTLINE_TEST_BROKER_URL", "")

pytestmark = [
    pytest.mark.celery_real,
    pytest.mark.skipif(not BROKER_URL, reason="FRONTLINE_TEST_BROKER_URL is not set"),
]

_KEYS = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")


def _forget_connections():
    """Drop the app's cached connection/producer pools and queue routing, built under the old settings."""
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
        for name in ("queues", "default_queue", "router"):
            amqp.__dict__.pop(name, None)


@pytest.fixture
def real_worker():
    saved = {key: app.conf[key] for key in _KEYS}
    queue = f"frontline-test-{uuid.uuid4().hex[:8]}"
    app.conf.update(
        broker_url=BROKER_URL,
        result_backend=BROKER_URL,
        task_always_eager=False,
        task_default_queue=queue,
    )
    _forget_connections()
    try:
        with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            yield
    finally:
        app.conf.update(saved)
        _forget_connections()


def _wait_for(predicate, seconds=60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_real_worker_recomputes_after_ingest(real_worker):
    account = factories.AccountFactory(external_id="real-1")
    yesterday = compute.business_today() - dt.timedelta(days=1)
    rows = [
        (
            i,
            {
                "account": "real-1",
                "date": yesterday.isoformat(),
                "app": app_code,
                "minutes": 25,
                "active_users": 3,
            },
        )
        for i, app_code in enumerate(["chat", "docs", "reports"])
    ]
    report = services.import_app_usage(
        rows=rows, skip_invalid=False
    )  # commits; the sweep is sent on commit
    assert report.loaded == 3
    assert _wait_for(lambda: not PendingRecompute.objects.exists()), (
        "the worker did not run the recompute"
    )
    connection.close()
    row = AccountDailyStatus.objects.get(account=account, day=yesterday)
    assert (row.minutes, row.apps_used, row.is_dag, row.analytics_days) == (75, 3, True, 1)
    # Yesterday is the last day recomputed: a window never reaches past it.
    assert AccountDailyStatus.objects.filter(account=account).count() == 1
