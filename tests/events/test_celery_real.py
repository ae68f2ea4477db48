"""A real Celery worker on the real Redis delivers a visit's event after its transaction commits."""

from __future__ import annotations

import base64
import json

import pytest
import redis
from django.db import connection

from events import dispatch
from events.models import Delivery, Event, Subscription
from tests import factories
from tests.real_celery import (
    BROKER_URL,
    queue_without_worker,
    requires_broker,
    running_worker,
    wait_for,
)
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


@pytest.mark.django_db(transaction=True)
def test_one_commit_sends_one_task_with_all_its_events(coo, csm):
    Subscription.objects.create(url="https://93.184.216.34/hook", events=["*"], created_by=coo)
    with queue_without_worker("frontline-events-one-task") as queue:
        log_visit(
            account=factories.AccountFactory(external_id="real-2"),
            author=csm,
            requirements=[{"title": "A"}, {"title": "B"}],
        )
        assert dispatch.flush(timeout=30)
        (message,) = redis.Redis.from_url(BROKER_URL).lrange(queue, 0, -1)
    body = json.loads(message)
    assert body["headers"]["task"] == "events.deliver_events"
    (event_ids,), _kwargs, _embed = json.loads(base64.b64decode(body["body"]))
    assert event_ids == list(Event.objects.order_by("id").values_list("id", flat=True))
    assert len(event_ids) == 3
