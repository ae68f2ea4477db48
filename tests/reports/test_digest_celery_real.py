"""A real Celery worker on the real Redis runs the weekly digest task: each row is sent once.

Runs only when FRONTLINE_TEST_BROKER_URL is set (scripts/run_tests.sh sets it in the
PostgreSQL pass). The worker is a thread on a queue of its own, so parallel test
processes on the same Redis do not take each other's tasks.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.utils import timezone

from reports.tasks import send_weekly_digests
from tests import factories
from tests.real_celery import requires_broker, running_worker, wait_for
from visits.models import DigestDelivery, DigestStatus

WEEK = "2026-W46"

pytestmark = requires_broker


@pytest.fixture
def digest_worker(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with running_worker("frontline-digest-test"):
        yield


@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_each_digest_once(digest_worker):
    csm = factories.person("csm", "manufacturing", username="csm_real")
    account = factories.AccountFactory(name="Real Steel", owner_csm=csm)
    factories.RequirementFactory(
        account=account, title="Real requirement", raised_at=timezone.now() - dt.timedelta(days=2)
    )
    mail.outbox = []

    assert send_weekly_digests.delay(WEEK).get(timeout=60) == 1
    assert wait_for(
        lambda: DigestDelivery.objects.filter(week=WEEK, status=DigestStatus.SENT).count() == 1
    )
    assert [m.to for m in mail.outbox] == [[csm.email]]
    assert "Real requirement" in mail.outbox[0].body

    # The beat firing again (or a retried task) finds the row sent and sends nothing.
    assert send_weekly_digests.delay(WEEK).get(timeout=60) == 0
    time.sleep(1)
    assert len(mail.outbox) == 1
    assert DigestDelivery.objects.filter(week=WEEK).count() == 1
