"""A real Celery worker on the real Redis runs the after-ingest recompute; the stored status is checked.

Runs only when FRONTLINE_TEST_BROKER_URL is set (scripts/run_tests.sh sets it
in the PostgreSQL pass). The worker is a thread consuming a queue of its own,
so parallel test processes on the same Redis do not take each other's tasks.
"""

from __future__ import annotations

import pytest
from django.db import connection

from core.days import last_complete_day
from metrics import ingest
from metrics.models import AccountDailyStatus, PendingRecompute
from tests import factories
from tests.real_celery import requires_broker, running_worker, wait_for

pytestmark = requires_broker


@pytest.fixture
def real_worker():
    with running_worker("frontline-test"):
        yield


@pytest.mark.django_db(transaction=True)
def test_real_worker_recomputes_after_ingest(real_worker):
    account = factories.AccountFactory(external_id="real-1")
    yesterday = last_complete_day()
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
    report = ingest.import_app_usage(
        rows=rows, skip_invalid=False
    )  # commits; the sweep is sent on commit
    assert report.loaded == 3
    assert wait_for(lambda: not PendingRecompute.objects.exists()), (
        "the worker did not run the recompute"
    )
    connection.close()
    row = AccountDailyStatus.objects.get(account=account, day=yesterday)
    assert (row.minutes, row.apps_used, row.is_dag, row.analytics_days) == (75, 3, True, 1)
    # Yesterday is the last day recomputed: a window never reaches past it.
    assert AccountDailyStatus.objects.filter(account=account).count() == 1
