"""Evaluating plays: open, refresh and resolve CTAs from the set of accounts a trigger holds for.

For one play and day, in one transaction under a PostgreSQL advisory lock on
the play, every step is one SQL statement and no row passes through Python:

1. the trigger's statement (plays.conditions) fills a temporary table with the
   accounts it holds for and the numbers of their reasons;
2. refresh: an open CTA whose account is held gets the new reason and its clear
   streak reset - written only where something changed, so evaluating a day
   again writes nothing;
3. clear: an open CTA whose account is not held counts one more clear day
   (once per evaluated day); after `clear_days` such days it closes itself as
   resolved. The statement returns the ids of the CTAs it resolved;
4. open: a held account without an open CTA gets one, owned by the play's
   owner rule, unless a CTA of the play was closed as done or dismissed within
   `snooze_days`, or resolved on or after the day (those accounts are first
   removed from the temporary table). The statement returns the ids of the
   CTAs it opened.

Steps 2 and 4 are left out when there is nothing for them: no account held, or
every account held refreshed.

Steps 3 and 4 return ids so that whatever must happen with the CTAs opened or
closed (an outbox row each, say) can be one more set-based statement in the
same transaction. Idempotent: evaluating a day again opens nothing twice and
counts no clear day twice. Evaluations of the same play wait for each other
(on SQLite, writers wait for each other anyway), so two evaluating the same day
open one CTA; the one-open-CTA-per-(account, play) constraint stands behind that.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, AccountTeamMember
from core import locks
from metrics.compute import AccountFilter
from verticals.models import Membership, Role

from . import outbox
from .conditions import CONDITIONS, HeldQuery
from .models import CLOSED_BY_PERSON, CTA, CTAStatus, Play
from .triggers import OwnerRole

# Advisory-lock namespace of "evaluating this play" (key: the play's id).
PLAY_LOCK_NAMESPACE = locks.PLAY_EVALUATION
# The accounts a trigger holds for on the evaluated day, with the numbers of their reasons.
HELD = "plays_held"


@dataclass
class PlayResult:
    trigger: str
    opened: int = 0
    refreshed: int = 0
    resolved: int = 0
    opened_ids: list[int] = field(default_factory=list, repr=False)
    resolved_ids: list[int] = field(default_factory=list, repr=False)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _date(value: dt.date):
    return connection.ops.adapt_datefield_value(value)


def _datetime(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _prepare(cursor, play: Play) -> None:
    """PostgreSQL: take the play's lock (transaction-scoped; SQLite serialises writers itself),
    and keep the statements off JIT (its compile time exceeds their run) with enough memory
    for their hash tables.

    The statements join HELD (never analysed) with CTAs a day may just have written in
    bulk: the planner counts a few rows on each side and would pick nested loops, which
    over what are in fact 100,000s of rows on both sides (the clear's anti-join, a day
    after a big open) run for minutes. Hash joins are right at any size, every side
    being restricted to the accounts evaluated."""
    if not _postgresql():
        return
    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PLAY_LOCK_NAMESPACE, play.pk])
    cursor.execute(
        "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL enable_nestloop = off"
    )


def _trigger_plan(query: HeldQuery) -> tuple[str, str] | None:
    """PostgreSQL: the planner settings of a trigger's statement, and the statement restoring
    those of the evaluation (`_prepare`).

    A trigger joining the day's status rows keeps hash joins and reads them with bitmap
    scans: the planner counts one row for a day its statistics do not know yet, and would
    read them in an index's order rather than each page once. The others may use nested
    loops (connector_silent probes the feed's key for its few candidates)."""
    if not _postgresql():
        return None
    if query.joins_new_day:
        return "SET LOCAL enable_indexscan = off", "SET LOCAL enable_indexscan = on"
    return "SET LOCAL enable_nestloop = on", "SET LOCAL enable_nestloop = off"


@contextmanager
def _held_table(cursor, query: HeldQuery):
    """The temporary table HELD, filled by `query`, dropped after; yields how many rows it
    holds. On an error the transaction's rollback drops it (DDL is transactional on both
    databases)."""
    numbers = "jsonb" if _postgresql() else "text"
    cursor.execute(f"DROP TABLE IF EXISTS {HELD}")
    # No key: a condition yields one row per account, and the joins below hash it.
    cursor.execute(
        f"CREATE TEMPORARY TABLE {HELD} (account_id bigint NOT NULL, numbers {numbers} NOT NULL)"
    )
    plan = _trigger_plan(query)
    if plan:
        cursor.execute(plan[0])
    cursor.execute(f"INSERT INTO {HELD} (account_id, numbers) {query.sql}", query.params)
    held = cursor.rowcount
    if plan:
        cursor.execute(plan[1])
    yield held
    cursor.execute(f"DROP TABLE {HELD}")


def _open_of_play(accounts: AccountFilter) -> str:
    """The play's open CTAs (alias c), of the accounts evaluated."""
    return (
        f"c.play_id = %(play)s AND c.status = '{CTAStatus.OPEN.value}' "
        f"AND {accounts.sql('c.account_id')}"
    )


def _differs(stored: str, new: str) -> str:
    """Whether two JSON values differ (SQLite compares the text, minified by json())."""
    if _postgresql():
        return f"{stored} IS DISTINCT FROM {new}"
    return f"json({stored}) IS NOT json({new})"


def _refresh(cursor, params: dict, accounts: AccountFilter) -> int:
    """Refresh the open CTAs of held accounts; how many there are (changed or not).

    Only a CTA whose reason or days change is written, so evaluating a day again
    writes nothing; a CTA already evaluated for a later day is left as that
    evaluation made it."""
    table = _q(CTA._meta.db_table)
    held_open = (
        f"FROM {HELD} h JOIN {table} c ON c.account_id = h.account_id "
        f"WHERE {_open_of_play(accounts)} AND c.last_evaluated_on <= %(day)s"
    )
    changed = (
        f"({_differs('c.reason_numbers', 'h.numbers')} OR c.last_held_on <> %(day)s "
        "OR c.clear_streak <> 0 OR c.last_evaluated_on <> %(day)s)"
    )
    cursor.execute(
        f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {changed} THEN 1 ELSE 0 END), 0) {held_open}",  # noqa: S608
        params,
    )
    refreshed, to_write = cursor.fetchone()
    if to_write:
        cursor.execute(
            f"""
            UPDATE {table} AS c SET
                reason_numbers = h.numbers,
                last_held_on = %(day)s,
                clear_streak = 0,
                last_evaluated_on = %(day)s
            FROM {HELD} h
            WHERE h.account_id = c.account_id AND {_open_of_play(accounts)}
              AND c.last_evaluated_on <= %(day)s AND {changed}
            """,  # noqa: S608 - table names from model meta, ids inlined through int()
            params,
        )
    return refreshed


def _clear(cursor, params: dict, accounts: AccountFilter) -> list[int]:
    """One more clear day for the open CTAs of accounts not held; ids of those it resolved.

    Only for a day after the CTA's last evaluated day, so a day evaluated twice counts once.
    """
    table = _q(CTA._meta.db_table)
    resolves = "c.clear_streak + 1 >= %(clear_days)s"
    cursor.execute(
        f"""
        UPDATE {table} AS c SET
            clear_streak = c.clear_streak + 1,
            last_evaluated_on = %(day)s,
            status = CASE WHEN {resolves} THEN %(resolved)s ELSE c.status END,
            closed_on = CASE WHEN {resolves} THEN %(day)s ELSE c.closed_on END,
            closed_at = CASE WHEN {resolves} THEN %(now)s ELSE c.closed_at END
        WHERE {_open_of_play(accounts)} AND c.last_evaluated_on < %(day)s
          AND NOT EXISTS (SELECT 1 FROM {HELD} h WHERE h.account_id = c.account_id)
        RETURNING id, status
        """,  # noqa: S608 - table names from model meta, ids inlined through int()
        params,
    )
    return sorted(pk for pk, status in cursor.fetchall() if status == CTAStatus.RESOLVED)


def _first_of_role(role_param: str) -> str:
    """The vertical's first active person (by membership id) in the role: (vertical_id, user_id)."""
    membership = _q(Membership._meta.db_table)
    user = _q(get_user_model()._meta.db_table)
    return f"""(
        SELECT m.vertical_id, m.user_id FROM {membership} m WHERE m.id IN (
            SELECT MIN(m2.id) FROM {membership} m2 JOIN {user} u ON u.id = m2.user_id
            WHERE m2.role = {role_param} AND m2.vertical_id IS NOT NULL AND u.is_active
            GROUP BY m2.vertical_id))"""  # noqa: S608 - table names from model meta


def _owner_sql(role: str) -> tuple[str, str]:
    """(joins, owner expression) of docs/plays.md's owner rule for the play's owner role.

    The account's person in the role - the owner CSM for csm, the account team's first
    active SA else the vertical's SA for sa - else the vertical's lead (a lead play's owner)."""
    joins = f"LEFT JOIN {_first_of_role('%(lead_role)s')} lead ON lead.vertical_id = a.vertical_id"
    if role == OwnerRole.CSM:
        return joins, "COALESCE(a.owner_csm_id, lead.user_id)"
    if role == OwnerRole.SA:
        team = _q(AccountTeamMember._meta.db_table)
        user = _q(get_user_model()._meta.db_table)
        joins += f"""
            LEFT JOIN {_first_of_role("%(sa_role)s")} vsa ON vsa.vertical_id = a.vertical_id
            LEFT JOIN (
                SELECT t.account_id, t.user_id FROM {team} t WHERE t.id IN (
                    SELECT MIN(t2.id) FROM {team} t2 JOIN {user} u ON u.id = t2.user_id
                    WHERE t2.role = %(sa_role)s AND u.is_active GROUP BY t2.account_id)
            ) tsa ON tsa.account_id = a.id"""  # noqa: S608 - table names from model meta
        return joins, "COALESCE(tsa.user_id, vsa.user_id, lead.user_id)"
    return joins, "lead.user_id"


def _keep_openable(cursor, params: dict, accounts: AccountFilter) -> None:
    """Remove from HELD the accounts with an open CTA of the play, or one that snoozes it:
    closed as done or dismissed within `snooze_days`, or resolved on or after the day."""
    closed_by_person = ", ".join(f"'{s.value}'" for s in CLOSED_BY_PERSON)
    cursor.execute(
        f"""
        DELETE FROM {HELD} WHERE EXISTS (
            SELECT 1 FROM {_q(CTA._meta.db_table)} c
            WHERE c.account_id = {HELD}.account_id AND c.play_id = %(play)s
              AND {accounts.sql("c.account_id")}
              AND (c.status = %(open)s
                   OR (c.status IN ({closed_by_person}) AND c.closed_on > %(snoozed_after)s)
                   OR (c.status = %(resolved)s AND c.closed_on >= %(day)s)))
        """,  # noqa: S608 - table names from model meta, statuses from our own enum
        params,
    )


def _open(cursor, params: dict, play: Play, accounts: AccountFilter) -> list[int]:
    """Open a CTA for each account left in HELD, owned by the play's owner rule; the new ids.

    The statement reads no CTA: one that inserts into the table it scans can, on a
    table the planner believes empty, rescan it for every row. No ON CONFLICT clause
    either (it costs every row a speculative insertion): under the play's lock nothing
    else opens a CTA of the play, and HELD was pruned after taking it, so one that
    still collides is an error."""
    table = _q(CTA._meta.db_table)
    joins, owner = _owner_sql(play.owner_role)
    steps = "CAST(%(steps)s AS jsonb)" if _postgresql() else "%(steps)s"
    cursor.execute(
        f"""
        INSERT INTO {table} (account_id, play_id, status, reason_numbers, opened_on, due_on,
                             owner_id, steps, note, last_evaluated_on, last_held_on,
                             clear_streak, created_at)
        SELECT h.account_id, %(play)s, %(open)s, h.numbers, %(day)s, %(due_on)s,
               {owner}, {steps}, '', %(day)s, %(day)s, 0, %(now)s
        FROM {HELD} h
        JOIN {_q(Account._meta.db_table)} a ON a.id = h.account_id
        {joins}
        WHERE {accounts.sql("a.id")}
        RETURNING id
        """,  # noqa: S608 - table names from model meta
        params,
    )
    return sorted(pk for (pk,) in cursor.fetchall())


def evaluate_play(*, play: Play, day: dt.date, accounts: AccountFilter | None = None) -> PlayResult:
    """Evaluate one play for `day` over all accounts, or those of `accounts`."""
    accounts = accounts or AccountFilter()
    query = CONDITIONS[play.trigger](day=day, params=play.effective_parameters, accounts=accounts)
    params = {
        "play": play.pk,
        "day": _date(day),
        "due_on": _date(day + dt.timedelta(days=play.due_days)),
        "snoozed_after": _date(day - dt.timedelta(days=play.snooze_days)),
        "clear_days": play.clear_days,
        "now": _datetime(timezone.now()),
        "open": CTAStatus.OPEN.value,
        "resolved": CTAStatus.RESOLVED.value,
        "steps": json.dumps([{"text": text, "done": False} for text in play.steps]),
        "lead_role": Role.LEAD.value,
        "sa_role": Role.SA.value,
    }
    result = PlayResult(trigger=play.trigger)
    with transaction.atomic(), connection.cursor() as cursor:
        _prepare(cursor, play)
        with _held_table(cursor, query) as held:
            if held:
                result.refreshed = _refresh(cursor, params, accounts)
            result.resolved_ids = _clear(cursor, params, accounts)
            # Every held account refreshed (one row each in HELD, one open CTA each at most):
            # none is left to open, and pruning would only empty HELD.
            if held > result.refreshed:
                _keep_openable(cursor, params, accounts)
                result.opened_ids = _open(cursor, params, play, accounts)
        # In the same transaction, so an event exists exactly when its change does.
        outbox.ctas_closed_by_evaluation(result.resolved_ids)
        outbox.ctas_opened(result.opened_ids)
    result.resolved, result.opened = len(result.resolved_ids), len(result.opened_ids)
    return result


def evaluate(
    *,
    day: dt.date,
    accounts: AccountFilter | None = None,
    triggers: tuple[str, ...] | None = None,
) -> list[PlayResult]:
    """Evaluate every active play (or those of `triggers`) for `day`, one transaction per play."""
    plays = Play.objects.filter(active=True).order_by("id")
    if triggers is not None:
        plays = plays.filter(trigger__in=triggers)
    return [evaluate_play(play=play, day=day, accounts=accounts) for play in plays]
