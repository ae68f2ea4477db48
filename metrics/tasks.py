"""Celery tasks of the metrics app: thin wrappers around `metrics.recompute_queue`.

Every recompute goes through a durable `PendingRecompute` row: the sweep
splits large ones into chunks of accounts and sends one `run_pending_recompute`
per chunk (independent tasks, no chord); each claims its row with a lease,
recomputes and deletes it. A recompute that fails keeps its row, with the error
and the time of its next attempt (recompute_queue.run_pending_recompute), and the sweep
goes on with the others. Tasks are acknowledged late and retried with
exponential backoff on database errors (e.g. the database gone while recording
a failure); recomputing is idempotent, so a task that runs twice after a crash
does no harm.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import DatabaseError

from core.days import last_complete_day

from . import partitions, recompute_queue
from .models import PendingRecompute

_RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="metrics.sweep_pending_recomputes", **_RETRY)
def sweep_pending_recomputes() -> int:
    """Split large pending recomputes into chunks and send a task for each one not yet running."""
    recompute_queue.split_pending_recomputes()
    ids = recompute_queue.pending_to_dispatch()
    for pending_id in ids:
        run_pending_recompute.delay(pending_id)
    return len(ids)


@shared_task(name="metrics.run_pending_recompute", bind=True, **_RETRY)
def run_pending_recompute(self, pending_id: int) -> int | None:
    try:
        return recompute_queue.run_pending_recompute(pending_id=pending_id)
    except recompute_queue.ChunkBusy as exc:
        # Same chunk being recomputed by another worker: come back later.
        raise self.retry(exc=exc, countdown=30) from None


@shared_task(name="metrics.recompute_yesterday", **_RETRY)
def recompute_yesterday() -> None:
    """Nightly (02:00 Asia/Shanghai, django-celery-beat): yesterday's status for every account."""
    day = last_complete_day()
    recompute_queue.schedule_recompute(start=day, end=day, reason=PendingRecompute.Reason.NIGHTLY)


@shared_task(name="metrics.recompute_range", **_RETRY)
def recompute_range(start: str, end: str, account_ids: list[int] | None = None) -> None:
    """Recompute [start, end] (ISO dates) for some or all accounts, fanned out in chunks."""
    recompute_queue.schedule_recompute(
        start=dt.date.fromisoformat(start),
        end=dt.date.fromisoformat(end),
        account_ids=account_ids,
        reason=PendingRecompute.Reason.MANUAL,
    )


@shared_task(name="metrics.maintain_partitions", **_RETRY)
def maintain_partitions() -> int:
    """Daily (django-celery-beat): the coming months' partitions, the feed partitions past retention."""
    report = partitions.maintain()
    return len(report.created) + len(report.dropped)
