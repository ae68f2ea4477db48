"""Webhook deliveries survive a broker down, a Redis restart and a worker killed mid-POST.

The visit is logged by a real `manage.py shell` process (its own transaction,
its own broker connection); delivery is done by real worker processes to a
real receiver on 127.0.0.1 in this test process. Receivers de-duplicate by the
event id, so a second POST of the same event after a crash is allowed; a lost
one is not.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection

from events.models import Delivery, DeliveryStatus, Event, Subscription
from tests import factories
from tests.events.receiver import Receiver

from .conftest import manage, send_task, wait_for

pytestmark = pytest.mark.faults

LOG_VISIT = (
    "from accounts.models import Account; from django.contrib.auth.models import User; "
    "from visits.services import log_visit; "
    "log_visit(account=Account.objects.get(external_id='ent-f'), "
    "author=User.objects.get(username='csm_m'), purpose={purpose!r})"
)


@pytest.fixture
def receiver(monkeypatch):
    # The worker and manage.py processes read these from their environment.
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("WEBHOOK_ALLOW_HTTP", "1")
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "1,1,1")
    running = Receiver().start()
    yield running
    running.stop()


def _log_visit(purpose: str, broker_url: str) -> None:
    result = manage("shell", "-c", LOG_VISIT.format(purpose=purpose), broker_url=broker_url)
    assert result.returncode == 0, result.stderr


def _delivered() -> bool:
    connection.close()
    return Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_visit_saved_while_the_broker_is_down_is_delivered_by_the_sweep(
    private_redis, start_worker, receiver, coo, csm
):
    factories.AccountFactory(external_id="ent-f")
    Subscription.objects.create(url=receiver.url, events=["visit.logged"], created_by=coo)
    private_redis.stop()
    _log_visit("broker down", private_redis.url)  # commits; sending the task fails
    assert Event.objects.count() == 1
    assert receiver.received == []

    private_redis.start()
    worker = start_worker(private_redis.url)
    send_task(private_redis.url, "events.deliver_due")  # what beat sends every minute
    assert wait_for(_delivered, seconds=60, interval=0.25), worker.output()
    (received,) = receiver.received
    assert json.loads(received.body)["id"] == str(Event.objects.get().uuid)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing(
    private_redis, start_worker, receiver, coo, csm
):
    factories.AccountFactory(external_id="ent-f")
    Subscription.objects.create(url=receiver.url, events=["visit.logged"], created_by=coo)
    worker = start_worker(private_redis.url)
    # The first POST is answered only after its worker is killed: it dies waiting for the answer.
    receiver.on_request = worker.kill
    receiver.delays.append(2)
    _log_visit("worker killed", private_redis.url)
    assert wait_for(lambda: worker.process.poll() is not None, seconds=60, interval=0.1), (
        worker.output()
    )
    assert len(receiver.received) == 1
    connection.close()
    delivery = Delivery.objects.get()
    # The delivery's transaction died with the worker: still pending, nothing recorded.
    assert wait_for(
        lambda: Delivery.objects.filter(pk=delivery.pk, status="pending", attempts=0).exists(),
        seconds=10,
    )

    second = start_worker(private_redis.url)
    send_task(private_redis.url, "events.deliver_due")
    assert wait_for(_delivered, seconds=60, interval=0.25), second.output()
    event_id = str(Event.objects.get().uuid)
    assert {json.loads(r.body)["id"] for r in receiver.received} == {event_id}
    assert len(receiver.received) == 2  # once before the kill, once after: same event id
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.log.get().status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_redis_restart_before_a_worker_took_the_task_loses_nothing(
    private_redis, start_worker, receiver, coo, csm
):
    factories.AccountFactory(external_id="ent-f")
    Subscription.objects.create(url=receiver.url, events=["visit.logged"], created_by=coo)
    _log_visit("redis restarted", private_redis.url)  # the task waits in Redis, no worker yet
    assert private_redis.client().llen("celery") == 1
    private_redis.restart()  # nothing on disk: the queued task is gone, the outbox row is not
    assert private_redis.client().llen("celery") == 0

    worker = start_worker(private_redis.url)
    send_task(private_redis.url, "events.deliver_due")
    assert wait_for(_delivered, seconds=60, interval=0.25), worker.output()
    (received,) = receiver.received
    assert json.loads(received.body)["id"] == str(Event.objects.get().uuid)
