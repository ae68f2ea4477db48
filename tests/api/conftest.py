"""Fixtures of the API tests: clients authenticated by real tokens, stored status rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from metrics.models import AccountDailyStatus, MetricPolicy
from verticals.api.tokens import issue_api_token

DAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # Throttle counters live in the (local-memory) cache; start every test from zero.
    cache.clear()
    yield
    cache.clear()


def token_client(user, *, write: bool = False, **token_kwargs) -> APIClient:
    _token, key = issue_api_token(user=user, can_write=write, **token_kwargs)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.key = key
    return client


@pytest.fixture
def make_client(db):
    return token_client


def make_status(account, day=DAY, **values) -> AccountDailyStatus:
    """A stored status row as the metrics engine would write it (defaults: a level-2, yellow day)."""
    defaults = {
        "policy": MetricPolicy.objects.latest(),
        "minutes": 300,
        "apps_used": 4,
        "is_dag": True,
        "dag_days": 12,
        "dag_rate": 0.4,
        "connectors": 2,
        "records": 20_000,
        "analytics_days": 1,
        "max_apps_used": 5,
        "deep_integration_level": 2,
        "days_since_visit": 20,
        "overdue_requirements": 0,
        "points_dag_rate": 24.0,
        "points_integration": 20.0,
        "points_breadth": 12.5,
        "points_recency": 15.0,
        "points_requirements": 10.0,
        "score": 82,
        "color": "green",
    }
    defaults.update(values)
    return AccountDailyStatus.objects.create(account=account, day=day, **defaults)
