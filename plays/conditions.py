"""When each trigger holds: one SQL statement per trigger over a day, for every (filtered) account.

Each function answers docs/plays.md's trigger table for day `day` with a
`HeldQuery`: a SELECT of `(account_id, numbers)`, one row per account the
trigger holds for, where `numbers` is the reason's numbers as a JSON object
built in SQL (plays.reasons renders the words when read). They read the stored
daily status (AccountDailyStatus), the connector feed, visits and
requirements - never a loop over accounts. The evaluation writes a query's
rows straight into a table (plays.evaluation), so no row passes through
Python; `held()` runs one for a reader that wants them (tests, a shell).
SQLite and PostgreSQL both run the statements. tests/plays/reference.py is the
same table in plain Python, and the property test holds the two to each other.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from accounts.models import SIZE_TIER_BOUNDS, Account
from core.days import end_of_day
from metrics import rules
from metrics.compute import AccountFilter
from metrics.models import AccountDailyStatus, Connector, ConnectorUsage, MetricPolicy
from visits.models import Requirement, RequirementStatus, Visit

from .triggers import PRIORITY_ORDER, Trigger

# A drop compared with `min_drop` in floating point: 0.5 - 0.3 is 0.19999999999999998,
# which must count as a drop of 0.2 (dag rates are fractions of whole days).
DROP_EPSILON = 1e-9


@dataclass(frozen=True)
class HeldQuery:
    """SELECT account_id, numbers (a JSON object) for each account a trigger holds for."""

    sql: str
    params: dict
    # It joins the status rows of the evaluated day, which the recompute has just written:
    # the planner's statistics do not know that day yet (plays.evaluation plans it with hash
    # joins). Every side of such a join is restricted to the accounts evaluated.
    joins_new_day: bool = False


@dataclass
class Held:
    """An account for which a trigger holds on the day, with the numbers of its reason."""

    account_id: int
    numbers: dict = field(default_factory=dict)


class Json:
    """A JSON value built in SQL, spelled for the connection's database.

    PostgreSQL builds jsonb (dates become "YYYY-MM-DD", numbers stay numbers);
    SQLite's JSON1 functions build JSON text (dates are stored as that text).
    """

    def __init__(self):
        self.postgresql = connection.vendor == "postgresql"

    def object(self, **pairs: str) -> str:
        """An object of the given keys and SQL expressions."""
        function = "jsonb_build_object" if self.postgresql else "json_object"
        arguments = ", ".join(f"'{key}', {value}" for key, value in pairs.items())
        return f"{function}({arguments})"

    def aggregate(self, value: str, order_by: str) -> str:
        """An array of `value` over a group. SQLite keeps its input's order (callers sort it)."""
        if self.postgresql:
            return f"jsonb_agg({value} ORDER BY {order_by})"
        return f"json_group_array({value})"

    def non_null_array(self, values: list[str]) -> str:
        """An array of the values that are not NULL, in their order."""
        items = ", ".join(values)
        if self.postgresql:
            return f"jsonb_path_query_array(jsonb_build_array({items}), '$[*] ? (@ != null)')"
        each = f"json_each(json_array({items}))"
        return f"(SELECT json_group_array(json(e.value)) FROM {each} e WHERE e.type <> 'null')"  # noqa: S608

    def text(self, param: str) -> str:
        """A text parameter (PostgreSQL must be told its type inside jsonb_build_object)."""
        return f"CAST({param} AS TEXT)"

    def days_between(self, later: str, earlier: str) -> str:
        """Whole days from the date `earlier` to the date `later` (SQL expressions)."""
        if self.postgresql:
            return f"(CAST({later} AS DATE) - CAST({earlier} AS DATE))"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def business_day(self, expression: str, params: dict) -> str:
        """The business day (settings.TIME_ZONE) of a stored datetime; adds its parameters."""
        sql, values = connection.ops.datetime_cast_date_sql(expression, (), settings.TIME_ZONE)
        names = [f"business_tz_{n}" for n in range(len(values))]
        params.update(zip(names, values, strict=True))
        return sql % tuple(f"%({name})s" for name in names)


def _date(value: dt.date):
    return connection.ops.adapt_datefield_value(value)


def _datetime(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


_STATUS = AccountDailyStatus._meta.db_table
_ACCOUNT = Account._meta.db_table


class _PolicyColumns:
    """A policy whose thresholds are the columns of the policy row `alias`, for rules.level_criteria."""

    def __init__(self, alias: str):
        self.alias = alias

    def __getattr__(self, name: str) -> str:
        return f"{self.alias}.{name}"


def _status_pair(
    condition: str, numbers: str, day: dt.date, params: dict, accounts: AccountFilter, join=""
) -> HeldQuery:
    """The status on the day (s) beside the status `lookback_days` before (p), where `condition` holds.

    An account without a status on the earlier day (not computed yet) has no CTA."""
    before = day - dt.timedelta(days=params["lookback_days"])
    sql = f"""
        SELECT s.account_id, {numbers}
        FROM {_STATUS} s
        JOIN {_STATUS} p ON p.account_id = s.account_id AND p.day = %(before)s
        {join}
        WHERE s.day = %(day)s AND {accounts.sql("s.account_id")} AND ({condition})
          AND {accounts.sql("p.account_id")}
    """  # noqa: S608 - table names from model meta, ids inlined through int()
    return HeldQuery(
        sql,
        {
            "day": _date(day),
            "before": _date(before),
            "since": before.isoformat(),
            "min_drop": params.get("min_drop"),
        },
        joins_new_day=True,
    )


def level_dropped(*, day: dt.date, params: dict, accounts: AccountFilter) -> HeldQuery:
    """Level on d is lower than on d - lookback_days; the reason names the criteria now missing:
    those of rules.level_criteria for the levels lost, under the policy that computed the status."""
    j = Json()
    missing, level = [], 1
    while criteria := rules.level_criteria(level, _PolicyColumns("pol")):
        for name, need in criteria:
            entry = j.object(criterion=f"'{name}'", have=f"s.{name}", need=str(need))
            missing.append(
                f"CASE WHEN s.deep_integration_level < {level} "
                f"AND p.deep_integration_level >= {level} AND s.{name} < {need} "
                f"THEN {entry} END"
            )
        level += 1
    numbers = j.object(
        before="p.deep_integration_level",
        after="s.deep_integration_level",
        since=j.text("%(since)s"),
        missing=j.non_null_array(missing),
    )
    return _status_pair(
        "s.deep_integration_level < p.deep_integration_level",
        numbers,
        day,
        params,
        accounts,
        join=f"JOIN {MetricPolicy._meta.db_table} pol ON pol.id = s.policy_id",
    )


def turned_red(*, day: dt.date, params: dict, accounts: AccountFilter) -> HeldQuery:
    """Red on d and not red on d - lookback_days."""
    j = Json()
    numbers = j.object(
        score="s.score", before="p.color", before_score="p.score", since=j.text("%(since)s")
    )
    return _status_pair("s.color = 'red' AND p.color <> 'red'", numbers, day, params, accounts)


def dag_rate_fell(*, day: dt.date, params: dict, accounts: AccountFilter) -> HeldQuery:
    """dag_rate(d - lookback_days) - dag_rate(d) >= min_drop."""
    j = Json()
    numbers = j.object(before="p.dag_rate", after="s.dag_rate", since=j.text("%(since)s"))
    return _status_pair(
        f"p.dag_rate - s.dag_rate >= %(min_drop)s - {DROP_EPSILON}", numbers, day, params, accounts
    )


def connector_silent(*, day: dt.date, params: dict, accounts: AccountFilter) -> HeldQuery:
    """A connector with records > 0 on each of the `active_days` days before the last
    `silent_days` days (ending d) and none in those days. The feed's key includes the
    day, so counting rows with records > 0 counts days.

    The candidates come first from the last active day and the silent days alone
    (records on the one, none on the others); only their active days are then counted,
    through the feed's key (account_id, day, connector_id)."""
    j = Json()
    usage = ConnectorUsage._meta.db_table
    connector = Connector._meta.db_table
    active, silent = params["active_days"], params["silent_days"]
    last_active = day - dt.timedelta(days=silent)
    first = last_active - dt.timedelta(days=active - 1)
    entry = j.object(code="x.code", name="x.name")
    numbers = j.object(
        connectors=j.aggregate(entry, "x.code"),
        active_days="%(active)s",
        silent_days="%(silent)s",
    )
    sql = f"""
        SELECT x.account_id, {numbers}
        FROM (
          SELECT q.account_id, c.code, c.name
          FROM (
            SELECT u.account_id, u.connector_id
            FROM (
                SELECT account_id, connector_id FROM {usage}
                WHERE day BETWEEN %(last_active)s AND %(day)s AND {accounts.sql("account_id")}
                GROUP BY account_id, connector_id
                HAVING SUM(CASE WHEN day = %(last_active)s AND records > 0 THEN 1 ELSE 0 END) = 1
                   AND SUM(CASE WHEN day > %(last_active)s AND records > 0 THEN 1 ELSE 0 END) = 0
            ) candidate
            JOIN {usage} u ON u.account_id = candidate.account_id
                AND u.connector_id = candidate.connector_id
                AND u.day BETWEEN %(first)s AND %(last_active)s AND u.records > 0
            GROUP BY u.account_id, u.connector_id
            HAVING COUNT(*) = %(active)s
          ) q
          JOIN {connector} c ON c.id = q.connector_id
          ORDER BY q.account_id, c.code
        ) x
        GROUP BY x.account_id
    """  # noqa: S608 - table names from model meta, ids inlined through int()
    return HeldQuery(
        sql,
        {
            "first": _date(first),
            "day": _date(day),
            "last_active": _date(last_active),
            "active": active,
            "silent": silent,
        },
    )


def near_deep(*, day: dt.date, params: dict, accounts: AccountFilter) -> HeldQuery:
    """Level 2 on d and exactly one level-3 criterion missing, with have >= need * (1 - margin).

    The needs are those of the policy version that computed the status."""
    j = Json()
    policy = MetricPolicy._meta.db_table
    analytics = j.object(
        criterion="'analytics_days'", have="s.analytics_days", need="pol.deep_min_analytics_days"
    )
    rate = j.object(criterion="'dag_rate'", have="s.dag_rate", need="pol.deep_min_dag_rate")
    sql = f"""
        SELECT s.account_id,
               CASE WHEN s.dag_rate >= pol.deep_min_dag_rate THEN {analytics} ELSE {rate} END
        FROM {_STATUS} s
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
    return HeldQuery(sql, {"day": _date(day), "margin": float(params["margin"])})


def renewal_at_risk(*, day: dt.date, params: dict, accounts: AccountFilter) -> HeldQuery:
    """Renewal date within `days` after d (d < renewal <= d + days) and colour on d not green."""
    j = Json()
    numbers = j.object(
        renewal_date="a.renewal_date",
        days_left=j.days_between("a.renewal_date", "%(day)s"),
        color="s.color",
        score="s.score",
    )
    sql = f"""
        SELECT a.id, {numbers}
        FROM {_ACCOUNT} a
        JOIN {_STATUS} s ON s.account_id = a.id AND s.day = %(day)s
        WHERE a.renewal_date > %(day)s AND a.renewal_date <= %(last)s
          AND s.color <> 'green' AND {accounts.sql("a.id")} AND {accounts.sql("s.account_id")}
    """  # noqa: S608 - table names from model meta, ids inlined through int()
    return HeldQuery(
        sql,
        {"day": _date(day), "last": _date(day + dt.timedelta(days=params["days"]))},
        joins_new_day=True,
    )


def requirement_overdue(*, day: dt.date, params: dict, accounts: AccountFilter) -> HeldQuery:
    """A requirement of priority >= min_priority with no first response past its SLA at the end of d.

    "Overdue at the end of d" is the metrics engine's (the health score's
    overdue count): raised at least the SLA before the day ended, no first
    response and not resolved by then, not declined. The oldest is named by its
    business day."""
    j = Json()
    requirement = Requirement._meta.db_table
    sla_hours = MetricPolicy.objects.current().requirement_sla_hours
    minimum = PRIORITY_ORDER.index(params["min_priority"])
    priorities = ", ".join(f"'{p.value}'" for p in PRIORITY_ORDER[minimum:])
    eod = end_of_day(day)
    values = {
        "sla_cutoff": _datetime(eod - dt.timedelta(hours=sla_hours)),
        "end_of_day": _datetime(eod),
        "declined": RequirementStatus.DECLINED.value,
        "min_priority": params["min_priority"],
        "sla_hours": sla_hours,
    }
    numbers = j.object(
        count="COUNT(*)",
        min_priority=j.text("%(min_priority)s"),
        sla_hours="%(sla_hours)s",
        oldest_raised=j.business_day("MIN(r.raised_at)", values),
    )
    sql = f"""
        SELECT r.account_id, {numbers}
        FROM {requirement} r
        WHERE r.priority IN ({priorities})
          AND r.raised_at <= %(sla_cutoff)s
          AND (r.first_response_at IS NULL OR r.first_response_at > %(end_of_day)s)
          AND (r.resolved_at IS NULL OR r.resolved_at > %(end_of_day)s)
          AND r.status <> %(declined)s
          AND {accounts.sql("r.account_id")}
        GROUP BY r.account_id
    """  # noqa: S608 - table names from model meta, priorities from our own enum
    return HeldQuery(sql, values)


def no_recent_visit(*, day: dt.date, params: dict, accounts: AccountFilter) -> HeldQuery:
    """Headcount tier >= min_tier and no visit by anyone in the `days` days ending d."""
    j = Json()
    visit = Visit._meta.db_table
    min_headcount = next(low for tier, low, _high in SIZE_TIER_BOUNDS if tier == params["min_tier"])
    first = day - dt.timedelta(days=params["days"] - 1)
    numbers = j.object(days="%(days)s", last_visit="seen.last_visit")
    sql = f"""
        SELECT a.id, {numbers}
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
    return HeldQuery(
        sql,
        {
            "day": _date(day),
            "first": _date(first),
            "min_headcount": min_headcount,
            "days": params["days"],
        },
    )


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


def held(
    trigger: str, *, day: dt.date, params: dict, accounts: AccountFilter | None = None
) -> list[Held]:
    """The accounts `trigger` holds for on `day`, with their numbers, ordered by account."""
    query = CONDITIONS[trigger](day=day, params=params, accounts=accounts or AccountFilter())
    with connection.cursor() as cursor:
        cursor.execute(query.sql, query.params)
        rows = cursor.fetchall()
    return sorted(
        (Held(a, n if isinstance(n, dict) else json.loads(n)) for a, n in rows),
        key=lambda h: h.account_id,
    )
