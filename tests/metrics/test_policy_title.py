"""A policy's title tells its time in the business time zone, as its "saved at" column does."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.models import MetricPolicy

pytestmark = pytest.mark.django_db


def test_the_title_is_in_the_business_time_zone():
    policy = MetricPolicy.objects.latest()
    MetricPolicy.objects.filter(pk=policy.pk).update(
        created_at=dt.datetime(2026, 1, 1, 20, 0, tzinfo=dt.UTC)
    )
    policy.refresh_from_db()
    # 20:00 UTC is 04:00 the next morning in Asia/Shanghai.
    assert str(policy) == f"Policy #{policy.pk} (2026-01-02 04:00)"
