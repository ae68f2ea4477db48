"""A real Celery worker on the real Redis runs the weekly digest task: each row is sent once.

Runs only when FRONTLINE_TEST_BROKER_URL is set (scripts/run_tests.sh sets it in the
PostgreSQL pass). The worker is a thread on a queue of its own, so parallel test
processes on the same Redis do not take each other's tasks.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from config.celery import app
from tests import factories
from visits.models import DigestDelivery, DigestStatus
from visits.tasks import send_weekly_digests

BROKER_URL = os.environ.get("FRONTLINE_TEST_BROKER_URL", "")
WEEK = "2026-W46"

pytestmark = [
    pytest.mark.celery_real,
    pytest.mark.skipif(not BROKER_URL, reason="FRONTLINE_TEST_BROKER_URL is not set"),
]

_KEYS = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")


def _forget_connections():
    """Drop the app's cached pools, result backend and queue routing, built under the old settings."""
    app._pool = None
    # The result backend is cached per thread; an eager test may have cached the disabled one.
    app._local.__dict__.pop("backend", None)
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
        for name in ("queues", "default_queue", "router"):
            amqp.__dict__.pop(name, None)


@pytest.fixture
def digest_worker(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    saved = {key: app.conf[key] for key in _KEYS}
    queue = f"frontline-digest-test-{uuid.uuid4().hex[:8]}"
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


def _wait_for(predicate, seconds=60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_each_digest_once(digest_worker):
    csm = factories.person("csm", "manufacturing", username="csm_real")
    account = factories.AccountFactory(name="Real Steel", owner_csm=csm)
    factories.RequirementFactory(
        account=account, title="Real requirement", raised_at=timezone.now() - dt.timedelta(days=2)
    )
    mail.outbox = []

    assert send_weekly_digests.delay(WEEK).get(timeout=60) == 1
    assert _wait_for(
        lambda: DigestDelivery.objects.filter(week=WEEK, status=DigestStatus.SENT).count() == 1
    )
    assert [m.to for m in mail.outbox] == [[csm.email]]
    assert "Real requirement" in mail.outbox[0].body

    # The beat firing again (or a retried task) finds the row sent and sends nothing.
    assert send_weekly_digests.delay(WEEK).get(timeout=60) == 0
    time.sleep(1)
    assert len(mail.outbox) == 1
    assert DigestDelivery.objects.filter(week=WEEK).count() == 1
