"""The metric rules of docs/metrics.md, in plain Python: deep-integration level, next level, health.

This module reads like docs/metrics.md's tables; thresholds always come from the
policy object. The set-based SQL engine (`metrics.compute`) computes the same
numbers for all accounts at once and is tested against these functions; the
API and pages use them to explain a stored status (next level, components).
"""

from __future__ import annotations

from typing import Protocol

from django.utils.translation import gettext_lazy as _

LEVEL_NAMES = {0: "none", 1: "connected", 2: "integrated", 3: "deep"}


class Policy(Protocol):
    window_days: int
    dag_min_minutes: int
    dag_min_apps: int
    integrated_min_connectors: int
    integrated_min_records: int
    deep_min_dag_rate: float
    deep_min_analytics_days: int


def is_dag(*, minutes: int, apps_used: int, policy: Policy) -> bool:
    return minutes >= policy.dag_min_minutes and apps_used >= policy.dag_min_apps


def level_criteria(level: int, policy: Policy) -> list[tuple[str, float]]:
    """The criteria (name, threshold) an account must meet to be at `level`, beyond the level below."""
    if level == 1:
        return [("connectors", 1)]
    if level == 2:
        return [
            ("connectors", policy.integrated_min_connectors),
            ("records", policy.integrated_min_records),
        ]
    if level == 3:
        return [
            ("dag_rate", policy.deep_min_dag_rate),
            ("analytics_days", policy.deep_min_analytics_days),
        ]
    return []


def deep_integration_level(
    *, connectors: int, records: int, dag_rate: float, analytics_days: int, policy: Policy
) -> int:
    have = {
        "connectors": connectors,
        "records": records,
        "dag_rate": dag_rate,
        "analytics_days": analytics_days,
    }
    level = 0
    for candidate in (1, 2, 3):
        if all(have[name] >= need for name, need in level_criteria(candidate, policy)):
            level = candidate
        else:
            break
    return level


def next_level(
    *,
    level: int,
    connectors: int,
    records: int,
    dag_rate: float,
    analytics_days: int,
    policy: Policy,
) -> dict | None:
    """The next level up and the criteria of it not met yet, each with have/need; None at level 3."""
    if level >= 3:
        return None
    have = {
        "connectors": connectors,
        "records": records,
        "dag_rate": dag_rate,
        "analytics_days": analytics_days,
    }
    missing = [
        {"criterion": name, "have": have[name], "need": need}
        for name, need in level_criteria(level + 1, policy)
        if have[name] < need
    ]
    return {"level": level + 1, "missing": missing}


# --- Health score -------------------------------------------------------------------------

COMPONENT_LABELS = {
    "dag_rate": _("DAG rate"),
    "integration": _("Deep-integration level"),
    "breadth": _("Adoption breadth"),
    "recency": _("Visit recency"),
    "requirements": _("Requirements answered on time"),
}


def _fraction(value: float, target: float) -> float:
    if target <= 0:
        return 1.0
    return max(0.0, min(1.0, value / target))


def recency_fraction(days_since_visit: int | None, *, fresh_days: int, stale_days: int) -> float:
    """1 up to `fresh_days` since the last visit, falling linearly to 0 at `stale_days`; 0 if never visited."""
    if days_since_visit is None or days_since_visit >= stale_days:
        return 0.0
    if days_since_visit <= fresh_days:
        return 1.0
    return (stale_days - days_since_visit) / (stale_days - fresh_days)


def health_points(
    *,
    dag_rate: float,
    level: int,
    max_apps_used: int,
    days_since_visit: int | None,
    overdue_requirements: int,
    policy,
) -> dict[str, float]:
    """Each component's points; their sum (rounded half up) is the score."""
    return {
        "dag_rate": policy.weight_dag_rate * _fraction(dag_rate, policy.deep_min_dag_rate),
        "integration": policy.weight_integration * level / 3,
        "breadth": policy.weight_breadth * _fraction(max_apps_used, policy.breadth_target_apps),
        "recency": policy.weight_recency
        * recency_fraction(
            days_since_visit, fresh_days=policy.visit_fresh_days, stale_days=policy.visit_stale_days
        ),
        "requirements": policy.weight_requirements
        * max(0.0, 1 - overdue_requirements / policy.overdue_requirements_zero),
    }


def score_from_points(points: dict[str, float]) -> int:
    # Half up, the same in SQLite and PostgreSQL (int(x + 0.5) for x >= 0).
    return max(0, min(100, int(sum(points.values()) + 0.5)))


def color_for(score: int, policy) -> str:
    if score >= policy.green_min_score:
        return "green"
    if score >= policy.yellow_min_score:
        return "yellow"
    return "red"


def component_weights(policy) -> dict[str, int]:
    return {
        "dag_rate": policy.weight_dag_rate,
        "integration": policy.weight_integration,
        "breadth": policy.weight_breadth,
        "recency": policy.weight_recency,
        "requirements": policy.weight_requirements,
    }


def explain_components(points: dict[str, float], values: dict[str, object], policy) -> list[dict]:
    """Each component with its value, points and maximum, and whether it raised or lowered the score.

    A component raised the score when it earned at least half its maximum,
    and lowered it otherwise.
    """
    weights = component_weights(policy)
    return [
        {
            "component": name,
            "label": str(COMPONENT_LABELS[name]),
            "value": values.get(name),
            "points": round(points[name], 1),
            "max": weights[name],
            "effect": "raised" if points[name] * 2 >= weights[name] else "lowered",
        }
        for name in weights
    ]
