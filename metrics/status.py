"""Explaining a stored AccountDailyStatus row: its components and its path to the next level."""

from __future__ import annotations

from . import rules
from .models import AccountDailyStatus


def status_points(status: AccountDailyStatus) -> dict[str, float]:
    return {
        "dag_rate": status.points_dag_rate,
        "integration": status.points_integration,
        "breadth": status.points_breadth,
        "recency": status.points_recency,
        "requirements": status.points_requirements,
    }


def status_components(status: AccountDailyStatus) -> list[dict]:
    """The score's components as stored, under the policy version that computed the row."""
    values = {
        "dag_rate": status.dag_rate,
        "integration": status.deep_integration_level,
        "breadth": status.max_apps_used,
        "recency": status.days_since_visit,
        "requirements": status.overdue_requirements,
    }
    return rules.explain_components(status_points(status), values, status.policy)


def status_next_level(status: AccountDailyStatus) -> dict | None:
    return rules.next_level(
        level=status.deep_integration_level,
        connectors=status.connectors,
        records=status.records,
        dag_rate=status.dag_rate,
        analytics_days=status.analytics_days,
        policy=status.policy,
    )
