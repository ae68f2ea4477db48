"""A real Celery worker on the real Redis delivers a visit's event after its transaction commits."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from events.models import Delivery, Subscription
from tests import factories
from tests.real_celery import requires_broker, running_worker, wait_for
from visits.services import log_visit

pytestmark = requires_broker


@pytest.fixture
def real_worker():
    with running_worker("frontline-events"):
        yield


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_after_commit(real_worker, receiver, coo, csm):
    subscription = Subscription.objects.create(url=receiver.url, events=["*"], created_by=coo)
    visit = log_visit(account=factories.AccountFactory(external_id="real-1"), author=csm)
    assert wait_for(lambda: len(receiver.received) == 1, seconds=30), "nothing was delivered"
    connection.close()
    payload = json.loads(receiver.received[0].body)
    assert payload["data"]["visit"]["id"] == visit.pk
    assert wait_for(
        lambda: Delivery.objects.filter(subscription=subscription, status="delivered").exists()
    )
