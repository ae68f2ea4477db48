"""When each trigger holds: one SQL statement per trigger over a day, for every (filtered) account.

Each function answers docs/plays.md's trigger table for day `day`: the accounts for which
the trigger holds, each with its vertical, owner CSM and the numbers of its
reason. They read the stored daily status (AccountDailyStatus), the connector
feed, visits and requirements - never a loop over accounts. SQLite and
PostgreSQL both run the statements; dates and datetimes are passed through
the backend's own adapters. tests/plays/reference.py is the same table in
plain Python, and the property test holds the two to each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection

from accounts.models import SIZE_TIER_BOUNDS, Account
from core.days import business_tz, end_of_day
from metrics import rules
from metrics.compute import AccountFilter
from metrics.models import AccountDailyStatus, Connector, ConnectorUsage, MetricPolicy
from visits.models import Requirement, RequirementStatus, Visit

from .triggers import PRIORITY_ORDER, Trigger

# A drop compared with `min_drop` in floating point: 0.5 - 0.3 is 0.19999999999999998,
# which must count as a drop of 0.2 (dag rates are fractions of whole days).
DROP_EPSILON = 1e-9


@dataclass
class Held:
    """An account for which a trigger holds on the day, with what its CTA needs."""

    account_id: int
    vertical_id: int
    owner_csm_id: int | None
    numbers: dict = field(default_factory=dict)


def _date(value: dt.date):
    return connection.ops.adapt_datefield_value(value)


def _datetime(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _day_value(value) -> str:
    """A date column as ISO text (SQLite answers text, PostgreSQL a date)."""
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


_STATUS = AccountDailyStatus._meta.db_table
_ACCOUNT = Account._meta.db_table


def _status_pair_sql(condition: str, accounts: AccountFilter) -> str:
    """The status on the day (s) beside the status `lookback_days` before (p), where `condition` holds.

    An account without a status on the earlier day (not computed yet) has no CTA."""
    return f"""
        SELECT s.account_id, a.vertical_id, a.owner_csm_id,
               s.deep_integration_level, p.deep_integration_level,
               s.color, s.score, p.color, p.score, s.dag_rate, p.dag_rate,
               s.connectors, s.records, s.analytics_days, s.policy_id
        FROM {_STATUS} s
        JOIN {_STATUS} p ON p.account_id = s.account_id AND p.day = %(before)s
        JOIN {_ACCOUNT} a ON a.id = s.account_id
        WHERE s.day = %(day)s AND {accounts.sql("s.account_id")} AND ({condition})
    """  # noqa: S608 - table names from model meta, ids inlined through int()


def _pair_params(day: dt.date, params: dict) -> dict:
    before = day - dt.timedelta(days=params["lookback_days"])
    return {"day": _date(day), "before": _date(before), "min_drop": params.get("min_drop")}


def level_dropped(*, day: dt.date, params: dict, accounts: AccountFilter) -> list[Held]:
    """Level on d is lower than on d - lookback_days; the reason names the criteria now missing."""
    rows = _rows(
        _status_pair_sql("s.deep_integration_level < p.deep_integration_level", accounts),
        _pair_params(day, params),
    )
    policies = MetricPolicy.objects.in_bulk({row[14] for row in rows})
    since = (day - dt.timedelta(days=params["lookback_days"])).isoformat()
    held = []
    for row in rows:
        account_id, vertical_id, csm_id, after, before = row[:5]
        dag_rate, conn, rec, an, pol = row[9], row[11], row[12], row[13], row[14]
        have = {"connectors": conn, "records": rec, "dag_rate": dag_rate, "analytics_days": an}
        missing = [
            {"criterion": name, "have": have[name], "need": need}
            for level in range(after + 1, before + 1)
            for name, need in rules.level_criteria(level, policies[pol])
            if have[name] < need
        ]
        numbers = {"before": before, "after": after, "since": since, "missing": missing}
        held.append(Held(account_id, vertical_id, csm_id, numbers))
    return held


def turned_red(*, day: dt.date, params: dict, accounts: AccountFilter) -> list[Held]:
    """Red on d and not red on d - lookback_days."""
    rows = _rows(
        _status_pair_sql("s.color = 'red' AND p.color <> 'red'", accounts),
        _pair_params(day, params),
    )
    since = (day - dt.timedelta(days=params["lookback_days"])).isoformat()
    return [
        Held(
            r[0],
            r[1],
            r[2],
            {"score": r[6], "before": r[7], "before_score": r[8], "since": since},
        )
        for r in rows
    ]


def dag_rate_fell(*, day: dt.date, params: dict, accounts: AccountFilter) -> list[Held]:
    """dag_rate(d - lookback_days) - dag_rate(d) >= min_drop."""
    rows = _rows(
        _status_pair_sql(f"p.dag_rate - s.dag_rate >= %(min_drop)s - {DROP_EPSILON}", accounts),
        _pair_params(day, params),
    )
    since = (day - dt.timedelta(days=params["lookback_days"])).isoformat()
    return [Held(r[0], r[1], r[2], {"before": r[10], "after": r[9], "since": since}) for r in rows]


def connector_silent(*, day: dt.date, params: dict, accounts: AccountFilter) -> list[Held]:
    """A connector with records > 0 on each of the `active_days` days before the last
    `silent_days` days (ending d) and none in those days. The feed's key includes the
    day, so counting rows with records > 0 counts days."""
    usage = ConnectorUsage._meta.db_table
    connector = Connector._meta.db_table
    active, silent = params["active_days"], params["silent_days"]
    last_active = day - dt.timedelta(days=silent)
    first = last_active - dt.timedelta(days=active - 1)
    sql = f"""
        SELECT u.account_id, a.vertical_id, a.owner_csm_id, c.code, c.name
        FROM {usage} u
        JOIN {_ACCOUNT} a ON a.id = u.account_id
        JOIN {connector} c ON c.id = u.connector_id
        WHERE u.day BETWEEN %(first)s AND %(day)s AND {accounts.sql("u.account_id")}
        GROUP BY u.account_id, a.vertical_id, a.owner_csm_id, c.code, c.name
        HAVING SUM(CASE WHEN u.day <= %(last_active)s AND u.records > 0 THEN 1 ELSE 0 END)
                 = %(active)s
           AND SUM(CASE WHEN u.day > %(last_active)s AND u.records > 0 THEN 1 ELSE 0 END) = 0
        ORDER BY u.account_id, c.code
    """  # noqa: S608 - table names from model meta, ids inlined through int()
    rows = _rows(
        sql,
        {
            "first": _date(first),
            "day": _date(day),
            "last_active": _date(last_active),
            "active": active,
        },
    )
    by_account: dict[int, Held] = {}
    for account_id, vertical_id, csm_id, code, name in rows:
        held = by_account.setdefault(
            account_id,
            Held(
                account_id,
                vertical_id,
                csm_id,
                {"connectors": [], "active_days": active, "silent_days": silent},
            ),
        )
        held.numbers["connectors"].append({"code": code, "name": name})
    return list(by_account.values())


def near_deep(*, day: dt.date, params: dict, accounts: AccountFilter) -> list[Held]:
    """Level 2 on d and exactly one level-3 criterion missing, with have >= need * (1 - margin).

    The needs are those of the policy version that computed the status."""
    policy = MetricPolicy._meta.db_table
    sql = f"""
        SELECT s.account_id, a.vertical_id, a.owner_csm_id, s.dag_rate, s.analytics_days,
               pol.deep_min_dag_rate, pol.deep_min_analytics_days,
               CASE WHEN s.dag_rate >= pol.deep_min_dag_rate THEN 1 ELSE 0 END
        FROM {_STATUS} s
        JOIN {_ACCOUNT} a ON a.id = s.account_id
        JOIN {policy} pol ON pol.id = s.policy_id
        WHERE s.day = %(day)s AND s.deep_integration_level = 2
          AND {accounts.sql("s.account_id")}
          AND ((s.dag_rate >= pol.deep_min_dag_rate
                AND s.analytics_days < pol.deep_min_analytics_days
                AND s.analytics_days >= pol.deep_min_analytics_days * (1.0 - %(margin)s))
            OR (s.analytics_days >= pol.deep_min_analytics_days
                AND s.dag_rate < pol.deep_min_dag_rate
                AND s.dag_rate >= pol.deep_min_dag_rate * (1.0 - %(margin)s)))
    """  # noqa: S608 - table names from model meta, ids inlined through int()
    held = []
    for account_id, vertical_id, csm_id, rate, an, need_rate, need_an, rate_ok in _rows(
        sql, {"day": _date(day), "margin": float(params["margin"])}
    ):
        if rate_ok:
            numbers = {"criterion": "analytics_days", "have": an, "need": need_an}
        else:
            numbers = {"criterion": "dag_rate", "have": rate, "need": need_rate}
        held.append(Held(account_id, vertical_id, csm_id, numbers))
    return held


def renewal_at_risk(*, day: dt.date, params: dict, accounts: AccountFilter) -> list[Held]:
    """Renewal date within `days` after d (d < renewal <= d + days) and colour on d not green."""
    sql = f"""
        SELECT a.id, a.vertical_id, a.owner_csm_id, a.renewal_date, s.color, s.score
        FROM {_ACCOUNT} a
        JOIN {_STATUS} s ON s.account_id = a.id AND s.day = %(day)s
        WHERE a.renewal_date > %(day)s AND a.renewal_date <= %(last)s
          AND s.color <> 'green' AND {accounts.sql("a.id")}
    """  # noqa: S608 - table names from model meta, ids inlined through int()
    rows = _rows(sql, {"day": _date(day), "last": _date(day + dt.timedelta(days=params["days"]))})
    held = []
    for account_id, vertical_id, csm_id, renewal, color, score in rows:
        renewal_day = dt.date.fromisoformat(_day_value(renewal))
        numbers = {
            "renewal_date": renewal_day.isoformat(),
            "days_left": (renewal_day - day).days,
            "color": color,
            "score": score,
        }
        held.append(Held(account_id, vertical_id, csm_id, numbers))
    return held


def requirement_overdue(*, day: dt.date, params: dict, accounts: AccountFilter) -> list[Held]:
    """A requirement of priority >= min_priority with no first response past its SLA at the end of d.

    "Overdue at the end of d" is the metrics engine's (the health score's
    overdue count): raised at least the SLA before the day ended, no first
    response and not resolved by then, not declined."""
    requirement = Requirement._meta.db_table
    sla_hours = MetricPolicy.objects.current().requirement_sla_hours
    minimum = PRIORITY_ORDER.index(params["min_priority"])
    priorities = ", ".join(f"'{p.value}'" for p in PRIORITY_ORDER[minimum:])
    eod = end_of_day(day)
    sql = f"""
        SELECT r.account_id, a.vertical_id, a.owner_csm_id, COUNT(*), MIN(r.raised_at)
        FROM {requirement} r
        JOIN {_ACCOUNT} a ON a.id = r.account_id
        WHERE r.priority IN ({priorities})
          AND r.raised_at <= %(sla_cutoff)s
          AND (r.first_response_at IS NULL OR r.first_response_at > %(end_of_day)s)
          AND (r.resolved_at IS NULL OR r.resolved_at > %(end_of_day)s)
          AND r.status <> %(declined)s
          AND {accounts.sql("r.account_id")}
        GROUP BY r.account_id, a.vertical_id, a.owner_csm_id
    """  # noqa: S608 - table names from model meta, priorities from our own enum
    rows = _rows(
        sql,
        {
            "sla_cutoff": _datetime(eod - dt.timedelta(hours=sla_hours)),
            "end_of_day": _datetime(eod),
            "declined": RequirementStatus.DECLINED.value,
        },
    )
    held = []
    for account_id, vertical_id, csm_id, count, oldest in rows:
        numbers = {
            "count": count,
            "min_priority": params["min_priority"],
            "sla_hours": sla_hours,
            "oldest_raised": _business_day(oldest),
        }
        held.append(Held(account_id, vertical_id, csm_id, numbers))
    return held


def _business_day(value) -> str:
    """The business day (Asia/Shanghai) of a stored datetime (SQLite answers UTC text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(business_tz()).date().isoformat()


def no_recent_visit(*, day: dt.date, params: dict, accounts: AccountFilter) -> list[Held]:
    """Headcount tier >= min_tier and no visit by anyone in the `days` days ending d."""
    visit = Visit._meta.db_table
    min_headcount = next(low for tier, low, _high in SIZE_TIER_BOUNDS if tier == params["min_tier"])
    first = day - dt.timedelta(days=params["days"] - 1)
    sql = f"""
        SELECT a.id, a.vertical_id, a.owner_csm_id, seen.last_visit
        FROM {_ACCOUNT} a
        LEFT JOIN (
            SELECT account_id, MAX(visited_on) AS last_visit FROM {visit}
            WHERE visited_on <= %(day)s AND {accounts.sql("account_id")}
            GROUP BY account_id
        ) seen ON seen.account_id = a.id
        WHERE a.headcount >= %(min_headcount)s
          AND (seen.last_visit IS NULL OR seen.last_visit < %(first)s)
          AND {accounts.sql("a.id")}
    """  # noqa: S608 - table names from model meta, ids inlined through int()
    rows = _rows(sql, {"day": _date(day), "first": _date(first), "min_headcount": min_headcount})
    return [
        Held(
            r[0],
            r[1],
            r[2],
            {"days": params["days"], "last_visit": _day_value(r[3]) if r[3] else None},
        )
        for r in rows
    ]


CONDITIONS = {
    Trigger.LEVEL_DROPPED: level_dropped,
    Trigger.TURNED_RED: turned_red,
    Trigger.DAG_RATE_FELL: dag_rate_fell,
    Trigger.CONNECTOR_SILENT: connector_silent,
    Trigger.NEAR_DEEP: near_deep,
    Trigger.RENEWAL_AT_RISK: renewal_at_risk,
    Trigger.REQUIREMENT_OVERDUE: requirement_overdue,
    Trigger.NO_RECENT_VISIT: no_recent_visit,
}
