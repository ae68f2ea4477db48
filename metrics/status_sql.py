"""The SQL of an account's daily status, written by the engine (metrics.compute).

`status_select_sql` is the SELECT of every account's status on one day, with
`status_params` its parameters under a policy: the engine upserts it into
AccountDailyStatus. The what-if (metrics.whatif) has its own, smaller statement
(only the DAG flag and the level) and shares the helpers below. The few
expressions SQLite and PostgreSQL spell differently are in `Dialect`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from accounts.models import Account
from core.days import end_of_day
from visits.models import Requirement, RequirementStatus, Visit

from .models import AccountDailyStatus, AccountDayUsage, ConnectorUsage


def window_start(day: dt.date, policy) -> dt.date:
    """First day of the `window_days` window that ends on `day` (inclusive)."""
    return day - dt.timedelta(days=policy.window_days - 1)


@dataclass(frozen=True)
class AccountFilter:
    """Which accounts a recompute touches: all, an explicit list, or an inclusive id range (a chunk)."""

    account_ids: tuple[int, ...] | None = None
    id_range: tuple[int, int] | None = None
    # Accounts left out (those of a chunk whose window cannot be carried from the day before).
    excluded: tuple[int, ...] = ()

    def sql(self, column: str) -> str:
        """A SQL condition on `column`; ids are inlined as integers (int() guards them)."""
        parts = []
        if self.account_ids is not None:
            ids = ",".join(str(int(i)) for i in self.account_ids) or "NULL"
            parts.append(f"{column} IN ({ids})")
        if self.id_range is not None:
            low, high = (int(x) for x in self.id_range)
            parts.append(f"{column} BETWEEN {low} AND {high}")
        if self.excluded:
            parts.append(f"{column} NOT IN ({','.join(str(int(i)) for i in self.excluded)})")
        return " AND ".join(parts) if parts else "1 = 1"


class Dialect:
    """The two expressions SQLite and PostgreSQL spell differently."""

    def __init__(self, vendor: str):
        self.vendor = vendor

    def days_between(self, later_param: str, earlier_column: str) -> str:
        """Whole days from `earlier_column` (a date) to the date parameter `later_param`."""
        if self.vendor == "postgresql":
            return f"(CAST({later_param} AS DATE) - {earlier_column})"
        return f"CAST(julianday({later_param}) - julianday({earlier_column}) AS INTEGER)"

    def floor_int(self, expression: str) -> str:
        """Round a non-negative number down to an integer, like Python's int() does for x >= 0."""
        if self.vendor == "postgresql":
            return f"CAST(FLOOR({expression}) AS INTEGER)"
        # SQLite's CAST truncates toward zero, which is floor for x >= 0.
        return f"CAST({expression} AS INTEGER)"

    def day_number(self, expression: str) -> str:
        """Whole days from 2000-01-01 to the date `expression` (a column or a date parameter)."""
        if self.vendor == "postgresql":
            return f"(CAST({expression} AS DATE) - DATE '2000-01-01')"
        return f"CAST(julianday({expression}) - julianday('2000-01-01') AS INTEGER)"

    def day_from_number(self, expression: str) -> str:
        """The date `expression` whole days after 2000-01-01 (day_number's inverse)."""
        if self.vendor == "postgresql":
            return f"(DATE '2000-01-01' + CAST({expression} AS INTEGER))"
        return f"date(julianday('2000-01-01') + ({expression}))"

    def fence(self) -> str:
        """Ends a subquery PostgreSQL must not merge into the outer query: the outer query uses
        max_apps_key twice, and would otherwise get two copies of its CASE (and of the
        subquery in it). SQLite needs none."""
        return "OFFSET 0" if self.vendor == "postgresql" else ""

    def tune_session(self, cursor) -> None:
        """PostgreSQL only: give the window aggregates enough memory not to spill to disk
        (make bench measured the spill). Local to the transaction."""
        if self.vendor == "postgresql":
            # jit off: the status statements are wide expressions over few rows, and compiling
            # them took longer than running them. enable_nestloop off: every join here meets
            # one row per account on each side; per-account index probes (nested loops),
            # chosen on the partitioned tables, took longer than hash joins.
            cursor.execute(
                "SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true), "
                "set_config('enable_nestloop', 'off', true)"
            )


def params_date(value: dt.date):
    return connection.ops.adapt_datefield_value(value)


def params_datetime(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


STATUS_COLUMNS = (
    "account_id",
    "day",
    "policy_id",
    "minutes",
    "apps_used",
    "is_dag",
    "dag_days",
    "dag_rate",
    "connectors",
    "records",
    "analytics_days",
    "max_apps_used",
    "max_apps_day",
    "deep_integration_level",
    "days_since_visit",
    "overdue_requirements",
    "points_dag_rate",
    "points_integration",
    "points_breadth",
    "points_recency",
    "points_requirements",
    "score",
    "color",
)


def status_select_sql(
    accounts: AccountFilter, policy, dialect: Dialect, *, carried: bool = False
) -> str:
    """The SELECT of every account's status on one day (%(day)s): one row per account, `STATUS_COLUMNS`.

    `carried`: the window's DAG days, analytics days and most apps in a day are
    carried from each account's stored status of the day before (see
    `_carried_window_join`), and only the accounts that have one under this policy
    get a row; the caller decides which accounts that is right for (metrics.window).

    From the rollup, connector feed, visits and requirements; nothing is written.

    Reads like docs/metrics.md and metrics/rules.py, innermost first:
      base   - the day's minutes/apps; over the window: DAG days, analytics days,
               the most apps used in a day, distinct connectors with records > 0,
               records; days since the last visit on or before the day; overdue
               requirements at the end of the day;
      lvl    - dag_rate = dag_days / window_days, and the deep-integration level
               (each level requires the one below, as rules.deep_integration_level);
      pts    - each health component's points (rules.health_points), with the same
               floating-point operations in the same order, so the numbers match;
      sc     - score = int(sum + 0.5) clamped to 0..100 (rules.score_from_points);
      outer  - colour from the score (rules.color_for).
    """
    rollup = AccountDayUsage._meta.db_table
    connector_usage = ConnectorUsage._meta.db_table
    account = Account._meta.db_table
    visit = Visit._meta.db_table
    requirement = Requirement._meta.db_table
    f = accounts.sql

    def fraction(value: str, target_param: str, target: float) -> str:
        # rules._fraction: 1 when the target is 0 or less, else value/target clamped to [0, 1].
        if target <= 0:
            return "1.0"
        ratio = f"(CAST({value} AS DOUBLE PRECISION) / {target_param})"
        return f"(CASE WHEN {ratio} > 1.0 THEN 1.0 WHEN {ratio} < 0.0 THEN 0.0 ELSE {ratio} END)"

    recency = (
        "(CASE WHEN days_since_visit IS NULL OR days_since_visit >= %(stale_days)s THEN 0.0"
        " WHEN days_since_visit <= %(fresh_days)s THEN 1.0"
        " ELSE CAST(%(stale_days)s - days_since_visit AS DOUBLE PRECISION) / %(recency_span)s END)"
    )
    requirements_left = "(1.0 - CAST(overdue_requirements AS DOUBLE PRECISION) / %(overdue_zero)s)"
    requirements = f"(CASE WHEN {requirements_left} < 0.0 THEN 0.0 ELSE {requirements_left} END)"
    points_sum = "(points_dag_rate + points_integration + points_breadth + points_recency + points_requirements + 0.5)"
    dag_rate_part = fraction("dag_rate", "%(deep_min_dag_rate)s", policy.deep_min_dag_rate)
    breadth_part = fraction("max_apps_used", "%(breadth_target)s", policy.breadth_target_apps)
    # The day of the key's remainder (MAX_APPS_KEY).
    max_apps_day = dialect.day_from_number(
        f"win.max_apps_key - win.max_apps_key / {MAX_APPS_KEY} * {MAX_APPS_KEY}"
    )
    columns = ", ".join(STATUS_COLUMNS)
    window_join = (
        _carried_window_join(accounts, rollup, dialect)
        if carried
        else _full_window_join(accounts, rollup, dialect)
    )
    if carried:
        # conn holds the changes since the day before (_carried_connectors_join).
        connectors_join = _carried_connectors_join(accounts, connector_usage)
        connectors = "win.connectors + COALESCE(conn.connectors, 0)"
        records = "win.records + COALESCE(conn.records, 0)"
    else:
        connectors_join = _full_connectors_join(accounts, connector_usage)
        connectors, records = "COALESCE(conn.connectors, 0)", "COALESCE(conn.records, 0)"

    return f"""
        SELECT {columns} FROM (
          SELECT sc.*,
                 CASE WHEN score >= %(green_min)s THEN 'green'
                      WHEN score >= %(yellow_min)s THEN 'yellow' ELSE 'red' END AS color
          FROM (
            SELECT pts.*,
                   CASE WHEN {dialect.floor_int(points_sum)} > 100 THEN 100
                        ELSE {dialect.floor_int(points_sum)} END AS score
            FROM (
              SELECT lvl.*,
                     %(weight_dag_rate)s * {dag_rate_part} AS points_dag_rate,
                     CAST(%(weight_integration)s * deep_integration_level AS DOUBLE PRECISION) / 3 AS points_integration,
                     %(weight_breadth)s * {breadth_part} AS points_breadth,
                     %(weight_recency)s * {recency} AS points_recency,
                     %(weight_requirements)s * {requirements} AS points_requirements
              FROM (
                SELECT base.*,
                       CASE WHEN connectors >= 1 THEN
                         CASE WHEN connectors >= %(integrated_min_connectors)s
                                   AND records >= %(integrated_min_records)s THEN
                           CASE WHEN dag_rate >= %(deep_min_dag_rate)s
                                     AND analytics_days >= %(deep_min_analytics_days)s THEN 3
                                ELSE 2 END
                         ELSE 1 END
                       ELSE 0 END AS deep_integration_level
                FROM (
                  SELECT a.id AS account_id,
                         %(day)s AS day,
                         %(policy_id)s AS policy_id,
                         COALESCE(win.today_minutes, 0) AS minutes,
                         COALESCE(win.today_apps_used, 0) AS apps_used,
                         (COALESCE(win.today_minutes, 0) >= %(dag_min_minutes)s
                          AND COALESCE(win.today_apps_used, 0) >= %(dag_min_apps)s) AS is_dag,
                         COALESCE(win.dag_days, 0) AS dag_days,
                         CAST(COALESCE(win.dag_days, 0) AS DOUBLE PRECISION) / %(window_days)s AS dag_rate,
                         {connectors} AS connectors,
                         {records} AS records,
                         COALESCE(win.analytics_days, 0) AS analytics_days,
                         COALESCE(win.max_apps_key, 0) / {MAX_APPS_KEY} AS max_apps_used,
                         CASE WHEN win.max_apps_key > 0 THEN {max_apps_day} END AS max_apps_day,
                         {dialect.days_between("%(day)s", "seen.last_visit")} AS days_since_visit,
                         COALESCE(req.overdue, 0) AS overdue_requirements
                  FROM {account} a
{window_join}
{connectors_join}
                  LEFT JOIN (
                    SELECT account_id, MAX(visited_on) AS last_visit FROM {visit}
                    WHERE visited_on <= %(day)s AND {f("account_id")}
                    GROUP BY account_id
                  ) seen ON seen.account_id = a.id
                  LEFT JOIN (
                    SELECT account_id, COUNT(*) AS overdue FROM {requirement}
                    WHERE raised_at <= %(sla_cutoff)s
                      AND (first_response_at IS NULL OR first_response_at > %(end_of_day)s)
                      AND (resolved_at IS NULL OR resolved_at > %(end_of_day)s)
                      AND status <> %(declined)s
                      AND {f("account_id")}
                    GROUP BY account_id
                  ) req ON req.account_id = a.id
                  WHERE {f("a.id")}
                ) base
              ) lvl
            ) pts
          ) sc
        ) final
    """  # noqa: S608 - table names from model meta, ids inlined through int()


def _dag_flag(row: str) -> str:
    """1 when the rollup row `row` (an alias, possibly absent: NULL) is a DAG day, else 0."""
    return (
        f"(CASE WHEN {row}.minutes >= %(dag_min_minutes)s"
        f" AND {row}.apps_used >= %(dag_min_apps)s THEN 1 ELSE 0 END)"
    )


# max_apps_used and the latest day it was reached travel as one number, apps * MAX_APPS_KEY +
# day_number(day): the MAX of it is the most apps and, among the days with that many, the last
# (day numbers count from 2000-01-01 and stay below MAX_APPS_KEY until the year 2273: days
# before 2000 would not decode). 0 when no day used an app.
MAX_APPS_KEY = 100_000


def _max_apps_key(row: str, dialect: Dialect) -> str:
    """The rollup row `row`'s (alias, possibly absent: NULL) key; 0 when it used no app."""
    return (
        f"(CASE WHEN {row}.apps_used > 0 THEN CAST({row}.apps_used AS BIGINT) * {MAX_APPS_KEY}"
        f" + {dialect.day_number(f'{row}.day')} ELSE 0 END)"
    )


def _full_window_join(accounts: AccountFilter, rollup: str, dialect: Dialect) -> str:
    """The window read whole: every rollup row of [window_start, day], per account (and the day's own)."""
    f = accounts.sql
    return f"""
                  LEFT JOIN (
                    SELECT account_id,
                           SUM(CASE WHEN day = %(day)s THEN minutes END) AS today_minutes,
                           SUM(CASE WHEN day = %(day)s THEN apps_used END) AS today_apps_used,
                           SUM({_dag_flag(rollup)}) AS dag_days,
                           SUM(CASE WHEN analytics_minutes > 0 THEN 1 ELSE 0 END) AS analytics_days,
                           MAX({_max_apps_key(rollup, dialect)}) AS max_apps_key
                    FROM {rollup}
                    WHERE day BETWEEN %(window_start)s AND %(day)s AND {f("account_id")}
                    GROUP BY account_id
                  ) win ON win.account_id = a.id"""  # noqa: S608 - table name from model meta


def _full_connectors_join(accounts: AccountFilter, connector_usage: str) -> str:
    """The window's distinct connectors with records > 0, and its records, from every row of it."""
    return f"""
                  LEFT JOIN (
                    -- Two hash aggregates rather than COUNT(DISTINCT …), which makes
                    -- PostgreSQL sort (or walk the account index over day-ordered rows).
                    SELECT account_id,
                           SUM(CASE WHEN peak > 0 THEN 1 ELSE 0 END) AS connectors,
                           SUM(records) AS records
                    FROM (
                      SELECT account_id, connector_id, SUM(records) AS records, MAX(records) AS peak
                      FROM {connector_usage}
                      WHERE day BETWEEN %(window_start)s AND %(day)s AND {accounts.sql("account_id")}
                      GROUP BY account_id, connector_id
                    ) per_connector
                    GROUP BY account_id
                  ) conn ON conn.account_id = a.id"""  # noqa: S608 - table name from model meta


def _carried_connectors_join(accounts: AccountFilter, connector_usage: str) -> str:
    """What the window's connectors and records gained since the day before (added to win's).

    The window of %(day)s is that of %(prev_day)s without %(leave_day)s and with %(day)s.
    Records: the day's rows added, the leaving day's taken away. A connector counts
    once it has records on any day of the window, so only a connector with records on
    exactly one of the two days can change the count: it enters (today) or leaves (the
    leaving day) unless it has records on a day the two windows share
    ([window_start, prev_day]: one probe of the feed's primary key, for those only).
    A connector reporting every day, the usual case, has records on both: no probe.
    """
    return f"""
                  LEFT JOIN (
                    SELECT e.account_id,
                           SUM(CASE WHEN e.today_on = e.leaving_on THEN 0
                                    WHEN EXISTS (
                                      SELECT 1 FROM {connector_usage} w
                                      WHERE w.account_id = e.account_id
                                        AND w.day BETWEEN %(window_start)s AND %(prev_day)s
                                        AND w.connector_id = e.connector_id AND w.records > 0)
                                      THEN 0
                                    ELSE e.today_on - e.leaving_on END) AS connectors,
                           SUM(e.records) AS records
                    FROM (
                      SELECT account_id, connector_id,
                             MAX(CASE WHEN day = %(day)s AND records > 0 THEN 1 ELSE 0 END) AS today_on,
                             MAX(CASE WHEN day = %(leave_day)s AND records > 0 THEN 1 ELSE 0 END) AS leaving_on,
                             SUM(CASE WHEN day = %(day)s THEN records ELSE -records END) AS records
                      FROM {connector_usage}
                      WHERE day IN (%(day)s, %(leave_day)s) AND {accounts.sql("account_id")}
                      GROUP BY account_id, connector_id
                    ) e
                    GROUP BY e.account_id
                  ) conn ON conn.account_id = a.id"""  # noqa: S608 - table name from model meta


def _carried_window_join(accounts: AccountFilter, rollup: str, dialect: Dialect) -> str:
    """The window carried from the day before: its status plus the day entering, minus the day leaving.

    With p the account's status of %(prev_day)s (window [leave_day, prev_day]), t the
    rollup row of %(day)s and l that of %(leave_day)s (either may be absent):
      dag_days       = p.dag_days + dag(t) - dag(l), and analytics days likewise;
      max_apps_used  = t's apps (and today) when they reach p's most; p's most and its
                       day while that day (p.max_apps_day, the last day that reached it)
                       is still in the window; otherwise the most is leaving with it, and
                       the window's rollup rows are read again for that account (the only
                       case a maximum cannot be carried; both travel as MAX_APPS_KEY's key).
    Exactly the full window's numbers when p was computed, under the same policy,
    from the rollup rows as they are now (metrics.window checks that).
    """
    status = AccountDailyStatus._meta.db_table
    f = accounts.sql
    return f"""
                  JOIN (
                    SELECT p.account_id,
                           p.connectors,
                           p.records,
                           t.minutes AS today_minutes,
                           t.apps_used AS today_apps_used,
                           p.dag_days + {_dag_flag("t")} - {_dag_flag("l")} AS dag_days,
                           p.analytics_days
                             + (CASE WHEN t.analytics_minutes > 0 THEN 1 ELSE 0 END)
                             - (CASE WHEN l.analytics_minutes > 0 THEN 1 ELSE 0 END) AS analytics_days,
                           CASE WHEN COALESCE(t.apps_used, 0) >= p.max_apps_used
                                  THEN {_max_apps_key("t", dialect)}
                                WHEN p.max_apps_day > %(leave_day)s
                                  THEN CAST(p.max_apps_used AS BIGINT) * {MAX_APPS_KEY}
                                       + {dialect.day_number("p.max_apps_day")}
                                ELSE (SELECT COALESCE(MAX({_max_apps_key("r", dialect)}), 0)
                                      FROM {rollup} r
                                      WHERE r.account_id = p.account_id
                                        AND r.day BETWEEN %(window_start)s AND %(day)s)
                           END AS max_apps_key
                    FROM {status} p
                    LEFT JOIN {rollup} t ON t.account_id = p.account_id AND t.day = %(day)s
                    LEFT JOIN {rollup} l ON l.account_id = p.account_id AND l.day = %(leave_day)s
                    WHERE p.day = %(prev_day)s AND p.policy_id = %(policy_id)s
                      AND {f("p.account_id")}
                    {dialect.fence()}
                  ) win ON win.account_id = a.id"""  # noqa: S608 - table names from model meta


def status_params(day: dt.date, policy) -> dict:
    eod = end_of_day(day)
    return {
        "day": params_date(day),
        "window_start": params_date(window_start(day, policy)),
        "prev_day": params_date(day - dt.timedelta(days=1)),
        "leave_day": params_date(day - dt.timedelta(days=policy.window_days)),
        "policy_id": policy.pk,
        "window_days": policy.window_days,
        "dag_min_minutes": policy.dag_min_minutes,
        "dag_min_apps": policy.dag_min_apps,
        "integrated_min_connectors": policy.integrated_min_connectors,
        "integrated_min_records": policy.integrated_min_records,
        "deep_min_dag_rate": float(policy.deep_min_dag_rate),
        "deep_min_analytics_days": policy.deep_min_analytics_days,
        "weight_dag_rate": policy.weight_dag_rate,
        "weight_integration": policy.weight_integration,
        "weight_breadth": policy.weight_breadth,
        "weight_recency": policy.weight_recency,
        "weight_requirements": policy.weight_requirements,
        "breadth_target": policy.breadth_target_apps,
        "fresh_days": policy.visit_fresh_days,
        "stale_days": policy.visit_stale_days,
        "recency_span": policy.visit_stale_days - policy.visit_fresh_days,
        "overdue_zero": policy.overdue_requirements_zero,
        "green_min": policy.green_min_score,
        "yellow_min": policy.yellow_min_score,
        "end_of_day": params_datetime(eod),
        "sla_cutoff": params_datetime(eod - dt.timedelta(hours=policy.requirement_sla_hours)),
        "declined": RequirementStatus.DECLINED.value,
    }
