"""Celery tasks of the events app: thin wrappers around `events.services`.

Both are idempotent under at-least-once delivery: a delivery is sent while its
row is locked and only while it is pending, so a task that runs twice (a worker
killed, a message redelivered) sends nothing twice that was already answered 2xx.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from . import services

_RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="events.deliver_events", **_RETRY)
def deliver_events(event_ids: list[int]) -> int:
    """After a commit that wrote events: their deliveries (and their accounts' due ones)."""
    return services.deliver_events(event_ids)


@shared_task(name="events.deliver_event", **_RETRY)
def deliver_event(event_id: int) -> int:
    """One event (tasks queued by an earlier version; new commits send deliver_events)."""
    return services.deliver_events([event_id])


@shared_task(name="events.deliver_due", **_RETRY)
def deliver_due() -> int:
    """Every minute (django-celery-beat) and after set-based emits: everything due now."""
    return services.deliver_due()


@shared_task(name="events.prune", **_RETRY)
def prune() -> int:
    """Daily (django-celery-beat): events done for EVENTS_RETENTION_DAYS, and their log, go."""
    return services.prune_events()
