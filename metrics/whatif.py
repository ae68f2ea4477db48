"""The policy what-if: what a proposed metric definition would do to the headline numbers of a day.

Before the COO saves a new policy version (which recomputes the whole window),
`what_if(day=, proposed=, accounts_qs=)` answers, writing nothing: the DAG
accounts and deep-integration customers on `day` under the current policy and
under the proposal, in total and per vertical, and every account whose DAG
flag or deep-integration level would change (docs/metrics.md, `POST
/api/v1/policy/what-if/`).

Set-based, one statement (`_what_if_sql`): the DAG flag and the deep-integration
level of every account under both policies, from one read of the connector feed
and one of the AccountDayUsage rollup over the longer of the two windows (each
policy's window start is a condition inside the aggregates), joined per account
and aggregated in SQL. Only what the answer compares is computed: not the health
score, visits or requirements of the engine's status SELECT (metrics.status_sql),
whose comparisons and floating-point dag_rate it repeats. DAG thresholds and the
window are applied to the rollup's minutes/apps_used, so a proposed
`dag_min_minutes`, `dag_min_apps` or `window_days` needs no new rollup.

"Current" is recomputed the same way under the current policy rather
than read from the stored AccountDailyStatus rows: stored rows may have been
computed by an older policy version (a policy change's recompute still queued)
or before late feed rows arrived, and then "current vs proposed" would mix a
change of data with the change of definition. Recomputing both sides makes the
difference the proposal's alone, and "proposed" equals exactly what a recompute
after saving the proposal would store.

Limit: the rollup holds the days that were recomputed. A proposed `window_days`
longer than the days ever recomputed reads those older days as zero usage,
whereas saving the policy would first rebuild their rollup from the raw feed.

Who may ask: only the COO (and superusers) — see metrics.api.whatif and the
MetricPolicy admin; the COO sees every vertical, so callers pass all accounts.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from typing import Any

from django.db import connection, models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Account
from verticals.models import Vertical

from .models import AccountDayUsage, ConnectorUsage, IntegrationLevel, MetricPolicy
from .status_sql import Dialect, params_date, window_start

ACCEPTED_SETTINGS: tuple[str, ...] = MetricPolicy.DEFINITION_FIELDS
DEEP = IntegrationLevel.DEEP.value


class PolicyProposalError(ValueError):
    """A proposal the what-if refuses: `errors` maps each setting at fault to the reason."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in errors.items()))


def _field_bounds(field: models.Field) -> tuple[float | None, float | None]:
    """The smallest and largest value the field's validators (incl. the DB integer range) allow."""
    # The column's integer range as PostgreSQL enforces it (SQLite's backend reports none).
    low, high = BaseDatabaseOperations.integer_field_ranges.get(
        field.get_internal_type(), (None, None)
    )
    for validator in field.validators:
        code = getattr(validator, "code", "")
        if code == "min_value":
            limit = validator.limit_value
            low = limit if low is None else max(low, limit)
        elif code == "max_value":
            limit = validator.limit_value
            high = limit if high is None else min(high, limit)
    return low, high


def setting_ranges() -> dict[str, tuple[float | None, float | None]]:
    """Each accepted setting's allowed (min, max), from the model's validators: shown in docs and errors."""
    return {name: _field_bounds(MetricPolicy._meta.get_field(name)) for name in ACCEPTED_SETTINGS}


def _range_text(name: str) -> str:
    low, high = _field_bounds(MetricPolicy._meta.get_field(name))
    return _("from %(low)s to %(high)s") % {"low": low, "high": high}


def validate_proposal(proposed: Any) -> dict[str, int | float]:
    """The proposal as {setting: value}, or PolicyProposalError naming every bad setting and why.

    Accepted: any subset of MetricPolicy.DEFINITION_FIELDS. Integer settings take
    whole numbers, `deep_min_dag_rate` any finite number; each within the range
    of the model field's validators (which mirror the table's check constraints
    and column types).
    """
    if not isinstance(proposed, dict):
        raise PolicyProposalError({"policy": _("Must be an object of {setting: value} pairs.")})
    errors: dict[str, str] = {}
    cleaned: dict[str, int | float] = {}
    for name, value in proposed.items():
        name = str(name)
        if name not in ACCEPTED_SETTINGS:
            errors[name] = _("Unknown setting %(name)s; the what-if accepts %(names)s.") % {
                "name": name,
                "names": ", ".join(ACCEPTED_SETTINGS),
            }
            continue
        field = MetricPolicy._meta.get_field(name)
        is_float = isinstance(field, models.FloatField)
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors[name] = _("%(name)s must be a number %(range)s.") % {
                "name": name,
                "range": _range_text(name),
            }
            continue
        if isinstance(value, float) and not math.isfinite(value):
            errors[name] = _("%(name)s must be a finite number.") % {"name": name}
            continue
        if is_float:
            value = float(value)
        elif isinstance(value, float):
            if not value.is_integer():
                errors[name] = _("%(name)s must be a whole number %(range)s.") % {
                    "name": name,
                    "range": _range_text(name),
                }
                continue
            value = int(value)
        low, high = _field_bounds(field)
        if (low is not None and value < low) or (high is not None and value > high):
            errors[name] = _("%(name)s is out of range: %(value)s is not %(range)s.") % {
                "name": name,
                "value": value,
                "range": _range_text(name),
            }
            continue
        cleaned[name] = value
    if errors:
        raise PolicyProposalError(errors)
    return cleaned


def proposed_policy(current: MetricPolicy, proposed: dict[str, int | float]) -> MetricPolicy:
    """An unsaved copy of `current` with the proposed settings (never saved: the what-if writes nothing)."""
    policy = copy.copy(current)
    for name, value in proposed.items():
        setattr(policy, name, value)
    return policy


_PARAM_OR_PERCENT = re.compile(r"%%|%s")


def _scope_sql(accounts_qs: QuerySet | None) -> tuple[str, dict]:
    """A condition on `a.id` keeping the accounts of `accounts_qs`; "1 = 1" for all of them."""
    if accounts_qs is None or not accounts_qs.query.where:
        return "1 = 1", {}
    sql, params = accounts_qs.order_by().values("pk").query.sql_with_params()
    params = list(params)
    named: dict[str, Any] = {}

    def name_next(match: re.Match) -> str:
        if match.group(0) == "%%":
            return "%%"
        key = f"scope_{len(named)}"
        named[key] = params[len(named)]
        return f"%({key})s"

    return f"a.id IN ({_PARAM_OR_PERCENT.sub(name_next, sql)})", named


def _level(side: str) -> str:
    """The deep-integration level under policy `side` (cur_/new_), as status_sql computes it.

    The same comparisons and the same floating-point operation for dag_rate (a
    double divided by the integer window), so the levels match the stored ones
    (docs/metrics.md, "Deep-integration level"; tests/metrics/whatif compare
    them with a real recompute). Accounts without connectors in the window
    have no `conn` row: level 0; those below level 2 under both policies have
    no `win` row, and never need one.
    """
    connectors = f"COALESCE(c.{side}connectors, 0)"
    records = f"COALESCE(c.{side}records, 0)"
    dag_rate = f"CAST(COALESCE(w.{side}dag_days, 0) AS DOUBLE PRECISION) / %({side}window_days)s"
    return f"""(CASE WHEN {connectors} >= 1 THEN
                 CASE WHEN {connectors} >= %({side}integrated_min_connectors)s
                           AND {records} >= %({side}integrated_min_records)s THEN
                   CASE WHEN {dag_rate} >= %({side}deep_min_dag_rate)s
                             AND COALESCE(w.{side}analytics_days, 0)
                                 >= %({side}deep_min_analytics_days)s THEN 3
                        ELSE 2 END
                 ELSE 1 END
               ELSE 0 END)"""


def _integrated(side: str) -> str:
    """Level 2 or more under policy `side` (cur_/new_), from a `conn` row's columns."""
    return (
        f"({side}connectors >= 1 AND {side}connectors >= %({side}integrated_min_connectors)s"
        f" AND {side}records >= %({side}integrated_min_records)s)"
    )


def _among_candidates(column: str) -> str:
    """`column` IN the `cand` accounts: on PostgreSQL a hashed `= ANY(ARRAY(…))` filter on the scan.

    The window's rollup rows (every account's) are tested one by one; PostgreSQL's
    hash semi join spent several times the CPU of the scan itself on that test
    (make bench), the array, hashed once, about as much as the scan. SQLite has no arrays.
    """
    if connection.vendor == "postgresql":
        return f"{column} = ANY(ARRAY(SELECT account_id FROM cand))"  # noqa: S608 - a column name
    return f"{column} IN (SELECT account_id FROM cand)"  # noqa: S608 - a column name


def _what_if_sql(scope: str) -> str:
    """Both policies' DAG flag and level per account in one pass over each table, aggregated.

    Only the two columns the answer compares are computed (not the health score,
    visits or requirements the engine's status SELECT also reads), and each
    source is read once for both policies, over the longer of the two windows
    (%(first)s..%(day)s) with each policy's window start as a condition inside
    the aggregates:
      conn   - per account: distinct connectors with records > 0 and records, for each policy;
      cand   - the accounts at level 2 or more under either policy: the only ones whose
               level depends on DAG days and analytics days (level 3 needs level 2);
      win    - DAG days and analytics days of the candidates' windows, for each policy;
      pair   - one row per account in scope (its rollup row of the day, `t`, gives the DAG
               flags): both DAG flags and levels.
    The result: part 0 = per-vertical counts under each policy; part 1 = the changed accounts.
    """
    rollup = AccountDayUsage._meta.db_table
    connector_usage = ConnectorUsage._meta.db_table
    account = Account._meta.db_table

    def dag(row: str, side: str) -> str:
        return f"{row}.minutes >= %({side}dag_min_minutes)s AND {row}.apps_used >= %({side}dag_min_apps)s"

    return f"""
        WITH conn AS (
          SELECT account_id,
                 SUM(CASE WHEN cur_peak > 0 THEN 1 ELSE 0 END) AS cur_connectors,
                 SUM(cur_records) AS cur_records,
                 SUM(CASE WHEN new_peak > 0 THEN 1 ELSE 0 END) AS new_connectors,
                 SUM(new_records) AS new_records
          FROM (
            SELECT account_id, connector_id,
                   SUM(CASE WHEN day >= %(cur_window_start)s THEN records ELSE 0 END) AS cur_records,
                   MAX(CASE WHEN day >= %(cur_window_start)s THEN records ELSE 0 END) AS cur_peak,
                   SUM(CASE WHEN day >= %(new_window_start)s THEN records ELSE 0 END) AS new_records,
                   MAX(CASE WHEN day >= %(new_window_start)s THEN records ELSE 0 END) AS new_peak
            FROM {connector_usage}
            WHERE day BETWEEN %(first)s AND %(day)s AND records > 0
            GROUP BY account_id, connector_id
          ) per_connector
          GROUP BY account_id
        ),
        cand AS (
          SELECT account_id FROM conn WHERE {_integrated("cur_")} OR {_integrated("new_")}
        ),
        win AS (
          SELECT u.account_id,
                 SUM(CASE WHEN u.day >= %(cur_window_start)s AND {dag("u", "cur_")}
                          THEN 1 ELSE 0 END) AS cur_dag_days,
                 SUM(CASE WHEN u.day >= %(cur_window_start)s AND u.analytics_minutes > 0
                          THEN 1 ELSE 0 END) AS cur_analytics_days,
                 SUM(CASE WHEN u.day >= %(new_window_start)s AND {dag("u", "new_")}
                          THEN 1 ELSE 0 END) AS new_dag_days,
                 SUM(CASE WHEN u.day >= %(new_window_start)s AND u.analytics_minutes > 0
                          THEN 1 ELSE 0 END) AS new_analytics_days
          FROM {rollup} u
          WHERE u.day BETWEEN %(first)s AND %(day)s
            AND {_among_candidates("u.account_id")}
          GROUP BY u.account_id
        ),
        pair AS (
          SELECT a.external_id, a.vertical_id,
                 CASE WHEN {dag("t", "cur_")} THEN 1 ELSE 0 END AS cur_dag,
                 {_level("cur_")} AS cur_level,
                 CASE WHEN {dag("t", "new_")} THEN 1 ELSE 0 END AS new_dag,
                 {_level("new_")} AS new_level
          FROM {account} a
          LEFT JOIN {rollup} t ON t.account_id = a.id AND t.day = %(day)s
          LEFT JOIN conn c ON c.account_id = a.id
          LEFT JOIN win w ON w.account_id = a.id
          WHERE {scope}
        )
        SELECT 0 AS part, vertical_id, NULL AS external_id,
               SUM(cur_dag), SUM(CASE WHEN cur_level = {DEEP} THEN 1 ELSE 0 END),
               SUM(new_dag), SUM(CASE WHEN new_level = {DEEP} THEN 1 ELSE 0 END)
        FROM pair GROUP BY vertical_id
        UNION ALL
        SELECT 1 AS part, vertical_id, external_id, cur_dag, cur_level, new_dag, new_level
        FROM pair WHERE cur_dag <> new_dag OR cur_level <> new_level
    """  # noqa: S608 - table names from model meta; values are parameters


def _what_if_params(current: MetricPolicy, proposal: MetricPolicy, day: dt.date) -> dict:
    params = {"day": params_date(day)}
    starts = []
    for side, policy in (("cur_", current), ("new_", proposal)):
        start = window_start(day, policy)
        starts.append(start)
        params.update(
            {
                f"{side}window_start": params_date(start),
                f"{side}window_days": policy.window_days,
                f"{side}dag_min_minutes": policy.dag_min_minutes,
                f"{side}dag_min_apps": policy.dag_min_apps,
                f"{side}integrated_min_connectors": policy.integrated_min_connectors,
                f"{side}integrated_min_records": policy.integrated_min_records,
                f"{side}deep_min_dag_rate": float(policy.deep_min_dag_rate),
                f"{side}deep_min_analytics_days": policy.deep_min_analytics_days,
            }
        )
    params["first"] = params_date(min(starts))
    return params


def _empty_side(codes: list[str]) -> dict:
    return {
        "dag_accounts": 0,
        "deep_customers": 0,
        "by_vertical": {code: {"dag_accounts": 0, "deep_customers": 0} for code in codes},
    }


def what_if(
    *,
    day: dt.date,
    proposed: dict,
    accounts_qs: QuerySet | None = None,
    current: MetricPolicy | None = None,
) -> dict:
    """The what-if answer (docs/metrics.md) for `day`: current vs proposed counts, and the accounts that change.

    `proposed` is validated first (PolicyProposalError names each bad setting).
    `accounts_qs` limits the accounts counted (None: all; the COO sees all);
    `current` defaults to the newest policy version. Reads only: in a read-only
    transaction on PostgreSQL when not nested in another one.
    """
    cleaned = validate_proposal(proposed)
    current = current or MetricPolicy.objects.current()
    proposal = proposed_policy(current, cleaned)
    scope, scope_params = _scope_sql(accounts_qs)
    sql, params = _what_if_sql(scope), _what_if_params(current, proposal, day)
    verticals = list(Vertical.objects.order_by("position", "code").values_list("id", "code"))
    codes = [code for _, code in verticals]
    code_of = dict(verticals)
    answer = {"current": _empty_side(codes), "proposed": _empty_side(codes), "changed": []}
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost and connection.vendor == "postgresql":
            cursor.execute("SET TRANSACTION READ ONLY")
        Dialect(connection.vendor).tune_session(cursor)
        cursor.execute(sql, {**params, **scope_params})
        rows = cursor.fetchall()
    changed = []
    for part, vertical_id, external_id, cur_dag, cur_level, new_dag, new_level in rows:
        code = code_of[vertical_id]
        if part == 0:
            for side, dag, deep in (
                ("current", cur_dag, cur_level),
                ("proposed", new_dag, new_level),
            ):
                counts = {"dag_accounts": int(dag or 0), "deep_customers": int(deep or 0)}
                answer[side]["by_vertical"][code] = counts
                answer[side]["dag_accounts"] += counts["dag_accounts"]
                answer[side]["deep_customers"] += counts["deep_customers"]
        else:
            changed.append(
                {
                    "external_id": external_id,
                    "before": {"is_dag": bool(cur_dag), "level": int(cur_level)},
                    "after": {"is_dag": bool(new_dag), "level": int(new_level)},
                }
            )
    answer["changed"] = sorted(changed, key=lambda entry: entry["external_id"])
    return answer
