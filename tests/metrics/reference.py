"""A plain-Python reference of docs/metrics.md's metric definitions, computed from raw feed rows.

Deliberately naive (loops over accounts and days, no rollup, no SQL) so it can
be read against docs/metrics.md line by line; the SQL engine must agree with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from metrics import rules

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class AppRow:
    account_id: int
    day: dt.date
    app: str
    category: str
    minutes: int


@dataclass(frozen=True)
class ConnectorRow:
    account_id: int
    day: dt.date
    connector: str
    records: int


@dataclass(frozen=True)
class RequirementRow:
    account_id: int
    raised_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    status: str


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI)


def status(
    *,
    account_id: int,
    day: dt.date,
    policy,
    app_rows: list[AppRow],
    connector_rows: list[ConnectorRow],
    visits: list[tuple[int, dt.date]],
    requirements: list[RequirementRow],
) -> dict:
    def minutes_on(d):
        return sum(r.minutes for r in app_rows if r.account_id == account_id and r.day == d)

    def apps_used_on(d):
        return len(
            {r.app for r in app_rows if r.account_id == account_id and r.day == d and r.minutes > 0}
        )

    def analytics_on(d):
        return any(
            r.account_id == account_id
            and r.day == d
            and r.category == "analytics"
            and r.minutes > 0
            for r in app_rows
        )

    def dag_on(d):
        return rules.is_dag(minutes=minutes_on(d), apps_used=apps_used_on(d), policy=policy)

    window = [day - dt.timedelta(days=k) for k in range(policy.window_days)]
    in_window = [r for r in connector_rows if r.account_id == account_id and r.day in window]
    dag_days = sum(1 for d in window if dag_on(d))
    dag_rate = dag_days / policy.window_days
    connectors = len({r.connector for r in in_window if r.records > 0})
    records = sum(r.records for r in in_window)
    analytics_days = sum(1 for d in window if analytics_on(d))
    max_apps_used = max(apps_used_on(d) for d in window)
    # The last day of the window with that many apps (none when no app was used).
    max_apps_day = (
        max(d for d in window if apps_used_on(d) == max_apps_used) if max_apps_used else None
    )
    level = rules.deep_integration_level(
        connectors=connectors,
        records=records,
        dag_rate=dag_rate,
        analytics_days=analytics_days,
        policy=policy,
    )
    seen = [v for a, v in visits if a == account_id and v <= day]
    days_since_visit = (day - max(seen)).days if seen else None
    eod = end_of_day(day)
    cutoff = eod - dt.timedelta(hours=policy.requirement_sla_hours)
    overdue = sum(
        1
        for r in requirements
        if r.account_id == account_id
        and r.raised_at <= cutoff
        and (r.first_response_at is None or r.first_response_at > eod)
        and (r.resolved_at is None or r.resolved_at > eod)
        and r.status != "declined"
    )
    points = rules.health_points(
        dag_rate=dag_rate,
        level=level,
        max_apps_used=max_apps_used,
        days_since_visit=days_since_visit,
        overdue_requirements=overdue,
        policy=policy,
    )
    score = rules.score_from_points(points)
    return {
        "minutes": minutes_on(day),
        "apps_used": apps_used_on(day),
        "is_dag": dag_on(day),
        "dag_days": dag_days,
        "dag_rate": dag_rate,
        "connectors": connectors,
        "records": records,
        "analytics_days": analytics_days,
        "max_apps_used": max_apps_used,
        "max_apps_day": max_apps_day,
        "deep_integration_level": level,
        "days_since_visit": days_since_visit,
        "overdue_requirements": overdue,
        "points_dag_rate": points["dag_rate"],
        "points_integration": points["integration"],
        "points_breadth": points["breadth"],
        "points_recency": points["recency"],
        "points_requirements": points["requirements"],
        "score": score,
        "color": rules.color_for(score, policy),
    }
