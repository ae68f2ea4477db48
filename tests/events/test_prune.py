"""The outbox is pruned: events done for EVENTS_RETENTION_DAYS go with their deliveries and attempts."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from events import services
from events.models import Delivery, DeliveryAttempt, Event, Subscription

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _event(name: str, *, days_ago: int, fanned_out: bool = True) -> Event:
    return Event.objects.create(
        type="visit.logged",
        occurred_at=NOW - dt.timedelta(days=days_ago),
        account_external_id=name,
        account_name=name,
        data={},
        fanned_out=fanned_out,
    )


def _delivery(event: Event, subscription: Subscription, *, status: str, days_ago: int):
    delivery = Delivery.objects.create(
        event=event,
        subscription=subscription,
        account_external_id=event.account_external_id,
        status=status,
    )
    Delivery.objects.filter(pk=delivery.pk).update(created_at=NOW - dt.timedelta(days=days_ago))
    DeliveryAttempt.objects.create(
        delivery=delivery, attempted_at=NOW - dt.timedelta(days=days_ago), status_code=200
    )
    return delivery


def test_events_done_for_the_retention_go_with_their_log(coo, settings):
    settings.EVENTS_RETENTION_DAYS = 30
    subscription = Subscription.objects.create(url="https://93.184.216.34/h", created_by=coo)
    delivered = _event("delivered-long-ago", days_ago=40)
    _delivery(delivered, subscription, status="delivered", days_ago=40)
    failed = _event("failed-long-ago", days_ago=40)
    _delivery(failed, subscription, status="failed", days_ago=39)
    _event("nobody-received-it", days_ago=31)
    pending = _event("still-pending", days_ago=40)
    _delivery(pending, subscription, status="pending", days_ago=40)
    sent_again = _event("sent-again-lately", days_ago=40)
    _delivery(sent_again, subscription, status="delivered", days_ago=2)
    recent = _event("recent", days_ago=3)
    _delivery(recent, subscription, status="delivered", days_ago=3)
    _event("not-fanned-out", days_ago=40, fanned_out=False)

    # Two events per transaction: the walk goes on past batches with nothing to delete.
    assert services.prune_events(now=NOW, batch=2) == 3
    assert set(Event.objects.values_list("account_external_id", flat=True)) == {
        "still-pending",
        "sent-again-lately",
        "recent",
        "not-fanned-out",
    }
    assert Delivery.objects.count() == 3 and DeliveryAttempt.objects.count() == 3
    assert services.prune_events(now=NOW) == 0


def test_send_events_prune_and_the_daily_schedule(coo, settings):
    settings.EVENTS_RETENTION_DAYS = 7
    _event("old", days_ago=8)
    out = StringIO()
    call_command("send_events", "--prune", stdout=out)
    assert "1 events deleted" in out.getvalue()
    assert not Event.objects.exists()
    task = PeriodicTask.objects.get(task="events.prune")
    assert task.enabled and task.crontab is not None
