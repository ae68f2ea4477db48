"""Helpers of the plays tests: stored status rows and evaluating one play."""

from __future__ import annotations

import datetime as dt

from metrics.models import AccountDailyStatus, MetricPolicy
from plays.evaluation import evaluate_play
from plays.models import CTA, Play

DAY = dt.date(2026, 11, 20)


def status(account, day=DAY, **values) -> AccountDailyStatus:
    """A stored status row (defaults: a level-2, green day)."""
    defaults = {
        "policy": MetricPolicy.objects.latest(),
        "dag_rate": 0.4,
        "connectors": 2,
        "records": 20_000,
        "analytics_days": 1,
        "deep_integration_level": 2,
        "score": 82,
        "color": "green",
    }
    defaults.update(values)
    return AccountDailyStatus.objects.create(account=account, day=day, **defaults)


def play(trigger: str, **changes) -> Play:
    p = Play.objects.get(trigger=trigger)
    if changes:
        params = changes.pop("parameters", None)
        if params is not None:
            p.parameters = {**p.parameters, **params}
        for name, value in changes.items():
            setattr(p, name, value)
        p.save()
    return p


def run(trigger: str, day=DAY, **changes):
    """Evaluate one play for `day`; returns (result, that play's CTAs)."""
    p = play(trigger, **changes)
    result = evaluate_play(play=p, day=day)
    return result, list(CTA.objects.filter(play=p).order_by("id"))
