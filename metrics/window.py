"""The incremental window: which accounts' status of a day may be carried from the day before.

The status of day d can be computed from the stored status of d − 1 plus the
rollup rows of the day entering the window and the day leaving it
(`status_sql.status_select_sql(carried=True)`), which reads two rollup rows per
account instead of `window_days`. That gives the full window's numbers exactly
when the status of d − 1 is *current*:

- it exists and was computed under the same policy version (a policy change,
  a new account, a missing day or a row from before the change stamps: whole);
- no rollup row and no connector-feed row of its window ([d − window_days, d − 1])
  changed after it was written — a re-sent old day rebuilds its rollup rows and
  restamps its connector rows (`changed_at`), and a status written before that
  (`computed_at`) no longer adds up.

`plan_window` sorts a chunk of accounts into those two groups with three small
queries (one day of the status table, and the rollup and connector rows of the
window changed since the oldest status of d − 1, found by their (day, changed_at)
indexes, entered once per day of the window). The connectors are carried from the
feed rows of the day entering and the day leaving
(`status_sql._carried_connectors_join`); the visit and requirement inputs are read
again either way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from accounts.models import Account

from .models import AccountDailyStatus, AccountDayUsage, ConnectorUsage
from .status_sql import AccountFilter, params_date

# Above this share of a chunk's accounts needing the whole window, the chunk is read whole:
# one statement instead of a long list of excluded ids.
FULL_WINDOW_SHARE = 0.2


@dataclass(frozen=True)
class WindowPlan:
    """The accounts whose window is carried from the day before, and those read whole (None: none)."""

    carried: AccountFilter | None
    whole: AccountFilter | None


def plan_window(*, cursor, day: dt.date, policy, accounts: AccountFilter) -> WindowPlan:
    """Split `accounts` for computing `day` under `policy` (see the module's docstring)."""
    if policy.pk is None:
        return WindowPlan(carried=None, whole=accounts)
    status = AccountDailyStatus._meta.db_table
    rollup = AccountDayUsage._meta.db_table
    connector_usage = ConnectorUsage._meta.db_table
    account = Account._meta.db_table
    prev_day = params_date(day - dt.timedelta(days=1))
    current = "p.day = %(prev_day)s AND p.policy_id = %(policy_id)s AND p.computed_at IS NOT NULL"
    params = {"prev_day": prev_day, "policy_id": policy.pk}

    cursor.execute(
        f"SELECT COUNT(*), MIN(p.computed_at) FROM {status} p "  # noqa: S608
        f"WHERE {current} AND {accounts.sql('p.account_id')}",
        params,
    )
    carried_count, oldest = cursor.fetchone()
    if not carried_count:
        return WindowPlan(carried=None, whole=accounts)
    cursor.execute(f"SELECT COUNT(*) FROM {account} a WHERE {accounts.sql('a.id')}", params)  # noqa: S608
    total = cursor.fetchone()[0]

    whole: set[int] = set()
    if carried_count < total:
        # Accounts with no current status the day before (new ones, or a day never computed).
        cursor.execute(
            f"""
            SELECT a.id FROM {account} a
            WHERE {accounts.sql("a.id")}
              AND NOT EXISTS (SELECT 1 FROM {status} p WHERE p.account_id = a.id AND {current})
            """,  # noqa: S608
            params,
        )
        whole.update(row[0] for row in cursor.fetchall())
    # Uses indexes account_day_usage_changed and connector_usage_changed, entered once per day
    # of the window at `oldest`. The days are listed, not a range: a range walks every entry of
    # the window's days in the index (changed_at is its second column), once per slice.
    window_days = {  # the window of d - 1: d - window_days .. d - 1
        f"window_day_{n}": params_date(day - dt.timedelta(days=n + 1))
        for n in range(policy.window_days)
    }
    days_listed = ", ".join(f"%({name})s" for name in window_days)
    changed = " UNION ".join(
        f"""
        SELECT r.account_id FROM {table} r
        JOIN {status} p ON p.account_id = r.account_id AND {current}
        WHERE r.day IN ({days_listed})
          AND r.changed_at > %(oldest)s AND r.changed_at > p.computed_at
          AND {accounts.sql("r.account_id")}
        """  # noqa: S608
        for table in (rollup, connector_usage)
    )
    cursor.execute(changed, {**params, **window_days, "oldest": oldest})
    whole.update(row[0] for row in cursor.fetchall())

    if len(whole) > FULL_WINDOW_SHARE * total:
        return WindowPlan(carried=None, whole=accounts)
    if not whole:
        return WindowPlan(carried=accounts, whole=None)
    ids = tuple(sorted(whole))
    return WindowPlan(
        carried=replace(accounts, excluded=tuple(sorted({*accounts.excluded, *ids}))),
        whole=AccountFilter(account_ids=ids),
    )
