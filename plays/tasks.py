"""Celery tasks of plays: thin wrappers around plays.evaluation."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from core.days import last_complete_day

from . import evaluation
from .triggers import TIME_BASED

_RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="plays.evaluate_time_based", **_RETRY)
def evaluate_time_based() -> dict:
    """Hourly (beat): the time-based plays for the last complete day, over every account."""
    results = evaluation.evaluate(day=last_complete_day(), triggers=tuple(TIME_BASED))
    return {r.trigger: [r.opened, r.refreshed, r.resolved] for r in results}
