"""Writes of the metrics app's policy: saving a new version and recomputing its window."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from core.days import last_complete_day
from metrics.models import MetricPolicy, PendingRecompute
from metrics.recompute_queue import schedule_recompute


def current_window(policy: MetricPolicy) -> tuple[dt.date, dt.date]:
    """The window of days a policy change recomputes: `window_days` days ending yesterday."""
    yesterday = last_complete_day()
    return yesterday - dt.timedelta(days=policy.window_days - 1), yesterday


def save_policy_version(*, policy: MetricPolicy, user=None) -> MetricPolicy:
    """Store `policy` as a new version (the history is append-only) and recompute the current window."""
    with transaction.atomic():
        policy.pk = None
        policy._state.adding = True
        if user is not None and getattr(user, "is_authenticated", False):
            policy.created_by = user
        policy.save()
        start, end = current_window(policy)
        schedule_recompute(start=start, end=end, reason=PendingRecompute.Reason.POLICY)
    return policy
