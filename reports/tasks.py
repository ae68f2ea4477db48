"""Celery tasks of reports: thin wrappers around reports.digest (the weekly digest)."""

from __future__ import annotations

from celery import shared_task

from . import digest

# The names stay "visits.tasks.…": the beat schedule row and queued messages refer to them.


@shared_task(name="visits.tasks.send_weekly_digests")
def send_weekly_digests(week: str | None = None) -> int:
    """Write this week's digest rows (beat: Monday 08:00 Asia/Shanghai) and queue each for sending."""
    ids = digest.prepare_week(week=week or digest.current_week())
    for delivery_id in ids:
        send_digest_delivery.delay_on_commit(delivery_id)
    return len(ids)


@shared_task(name="visits.tasks.send_digest_delivery")
def send_digest_delivery(delivery_id: int) -> bool:
    """Send one digest row by id; a row already sent or being sent is left alone."""
    return digest.send_delivery(delivery_id=delivery_id)
