"""Evaluating plays: open, refresh and resolve CTAs from the set of accounts a trigger holds for.

For one play and day: one statement finds the accounts (plays.conditions),
then one transaction, under a PostgreSQL advisory lock on (play, day), reads
the play's open CTAs and the recently closed ones, and writes in bulk:

- an account the trigger holds for with an open CTA: the reason is refreshed
  and its clear streak reset;
- one without: a CTA is opened, unless a CTA of the play was closed as done or
  dismissed within `snooze_days`, or resolved on or after the day;
- an open CTA whose condition does not hold: one more day clear (once per
  evaluated day); after `clear_days` such days it closes itself as resolved.

Idempotent: evaluating a day again opens nothing twice and counts no clear day
twice. Concurrent evaluations of the same (play, day) wait for each other; any
other overlap is settled by the one-open-CTA-per-(account, play) constraint
(inserts ignore conflicts).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import AccountTeamMember
from core import locks
from metrics.compute import AccountFilter
from verticals.models import Membership, Role

from . import outbox
from .conditions import CONDITIONS, Held
from .models import CLOSED_BY_PERSON, CTA, CTAStatus, Play
from .triggers import OwnerRole

# Advisory-lock namespace of "evaluating this play for this day" (any 32-bit constant of ours).
PLAY_LOCK_NAMESPACE = locks.PLAY_EVALUATION
BATCH = 1000


@dataclass
class PlayResult:
    trigger: str
    opened: int = 0
    refreshed: int = 0
    resolved: int = 0


def _lock(play: Play, day: dt.date) -> None:
    """Transaction-scoped lock on (play, day); SQLite serialises writers itself."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [PLAY_LOCK_NAMESPACE, play.pk * 1_000_000 + day.toordinal()],
        )


def _scoped(queryset, accounts: AccountFilter):
    column = (
        f"{connection.ops.quote_name(CTA._meta.db_table)}.{connection.ops.quote_name('account_id')}"
    )
    return queryset.extra(where=[accounts.sql(column)])  # noqa: S610 - ids inlined through int()


class Owners:
    """Who gets a play's CTAs (docs/plays.md): the account's person in the play's owner role, else
    the vertical's lead. Loaded with three queries for a whole evaluation."""

    def __init__(self, accounts: AccountFilter):
        self._team_sa: dict[int, int] = {}
        team = AccountTeamMember.objects.filter(role=Role.SA, user__is_active=True).order_by("id")
        column = f"{connection.ops.quote_name(AccountTeamMember._meta.db_table)}.account_id"
        team = team.extra(where=[accounts.sql(column)])  # noqa: S610 - ids inlined through int()
        for account_id, user_id in team.values_list("account_id", "user_id"):
            self._team_sa.setdefault(account_id, user_id)
        self._vertical: dict[tuple[int, str], int] = {}
        members = Membership.objects.filter(
            role__in=[Role.LEAD, Role.SA], vertical__isnull=False, user__is_active=True
        ).order_by("id")
        for vertical_id, role, user_id in members.values_list("vertical_id", "role", "user_id"):
            self._vertical.setdefault((vertical_id, role), user_id)

    def owner(self, role: str, held: Held) -> int | None:
        person = None
        if role == OwnerRole.CSM:
            person = held.owner_csm_id
        elif role == OwnerRole.SA:
            person = self._team_sa.get(held.account_id) or self._vertical.get(
                (held.vertical_id, Role.SA)
            )
        return person or self._vertical.get((held.vertical_id, Role.LEAD))


EVALUATED_FIELDS = (
    "reason_numbers",
    "last_held_on",
    "clear_streak",
    "last_evaluated_on",
    "status",
    "closed_on",
    "closed_at",
)


def _save_evaluated(ctas: list[CTA]) -> None:
    """Write the evaluated fields of `ctas`: one UPDATE … FROM unnest(…) on PostgreSQL.

    Django's bulk_update writes a CASE over every row of a batch for each field, which
    grows with the square of the batch; a day's refresh can touch every open CTA.
    """
    if not ctas:
        return
    if connection.vendor != "postgresql":
        CTA.objects.bulk_update(ctas, list(EVALUATED_FIELDS), batch_size=BATCH)
        return
    table = connection.ops.quote_name(CTA._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET reason_numbers = v.reason_numbers::jsonb, "  # noqa: S608
            "last_held_on = v.last_held_on, clear_streak = v.clear_streak, "
            "last_evaluated_on = v.last_evaluated_on, status = v.status, "
            "closed_on = v.closed_on, closed_at = v.closed_at "
            "FROM unnest(%s::bigint[], %s::text[], %s::date[], %s::int[], %s::date[], "
            "%s::text[], %s::date[], %s::timestamptz[]) "
            "AS v(id, reason_numbers, last_held_on, clear_streak, last_evaluated_on, status, "
            "closed_on, closed_at) WHERE c.id = v.id",
            [
                [c.pk for c in ctas],
                [json.dumps(c.reason_numbers, cls=DjangoJSONEncoder) for c in ctas],
                [c.last_held_on for c in ctas],
                [c.clear_streak for c in ctas],
                [c.last_evaluated_on for c in ctas],
                [c.status for c in ctas],
                [c.closed_on for c in ctas],
                [c.closed_at for c in ctas],
            ],
        )


def _insert_opened(*, play: Play, day: dt.date, opening: list, steps: list[dict]) -> int:
    """Open a CTA for each (held, owner_id) of `opening`; CTAs opened.

    ON CONFLICT DO NOTHING: a CTA another evaluation opened meanwhile stands. On
    PostgreSQL one INSERT … SELECT FROM unnest(…), without a model object per row.
    """
    if not opening:
        return 0
    due_on = day + dt.timedelta(days=play.due_days)
    if connection.vendor != "postgresql":
        new = [
            CTA(
                account_id=held.account_id,
                play=play,
                status=CTAStatus.OPEN,
                reason_numbers=held.numbers,
                opened_on=day,
                due_on=due_on,
                owner_id=owner_id,
                steps=steps,
                last_evaluated_on=day,
                last_held_on=day,
            )
            for held, owner_id in opening
        ]
        CTA.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
        return len(new)
    table = connection.ops.quote_name(CTA._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (account_id, play_id, status, reason_numbers, opened_on, "  # noqa: S608
            "due_on, owner_id, steps, note, last_evaluated_on, last_held_on, clear_streak, "
            "created_at) "
            "SELECT v.account_id, %s, %s, v.reason_numbers::jsonb, %s, %s, v.owner_id, "
            "%s::jsonb, '', %s, %s, 0, %s "
            "FROM unnest(%s::bigint[], %s::text[], %s::bigint[]) "
            "AS v(account_id, reason_numbers, owner_id) "
            "ON CONFLICT DO NOTHING",
            [
                play.pk,
                CTAStatus.OPEN.value,
                day,
                due_on,
                json.dumps(steps),
                day,
                day,
                timezone.now(),
                [held.account_id for held, _ in opening],
                [json.dumps(held.numbers, cls=DjangoJSONEncoder) for held, _ in opening],
                [owner_id for _, owner_id in opening],
            ],
        )
        return cursor.rowcount


def evaluate_play(
    *, play: Play, day: dt.date, accounts: AccountFilter | None = None, owners: Owners | None = None
) -> PlayResult:
    """Evaluate one play for `day` over all accounts, or those of `accounts`."""
    accounts = accounts or AccountFilter()
    result = PlayResult(trigger=play.trigger)
    now = timezone.now()
    with transaction.atomic():
        _lock(play, day)
        held = {
            h.account_id: h
            for h in CONDITIONS[play.trigger](
                day=day, params=play.effective_parameters, accounts=accounts
            )
        }
        open_ctas = list(_scoped(CTA.objects.filter(play=play, status=CTAStatus.OPEN), accounts))
        changed = []
        for cta in open_ctas:
            before = (cta.reason_numbers, cta.last_held_on, cta.clear_streak, cta.last_evaluated_on)
            if cta.account_id in held:
                if day < cta.last_evaluated_on:
                    continue  # an older day evaluated again: the newer evaluation stands
                cta.reason_numbers = held[cta.account_id].numbers
                cta.last_held_on = max(day, cta.last_held_on)
                cta.clear_streak = 0
                cta.last_evaluated_on = day
                result.refreshed += 1
            elif day > cta.last_evaluated_on:
                cta.clear_streak += 1
                cta.last_evaluated_on = day
                if cta.clear_streak >= play.clear_days:
                    cta.status = CTAStatus.RESOLVED
                    cta.closed_on = day
                    cta.closed_at = now
                    result.resolved += 1
            else:
                continue
            after = (cta.reason_numbers, cta.last_held_on, cta.clear_streak, cta.last_evaluated_on)
            if after != before or cta.status != CTAStatus.OPEN:
                changed.append(cta)  # the same day evaluated again writes nothing
        _save_evaluated(changed)
        outbox.ctas_resolved([c.pk for c in changed if c.status == CTAStatus.RESOLVED])

        with_open = {cta.account_id for cta in open_ctas}
        candidates = [h for account_id, h in held.items() if account_id not in with_open]
        if candidates:
            blocked = set(
                _scoped(
                    CTA.objects.filter(play=play).filter(
                        Q(
                            status__in=CLOSED_BY_PERSON,
                            closed_on__gt=day - dt.timedelta(days=play.snooze_days),
                        )
                        | Q(status=CTAStatus.RESOLVED, closed_on__gte=day)
                    ),
                    accounts,
                ).values_list("account_id", flat=True)
            )
            owners = owners or Owners(accounts)
            steps = [{"text": text, "done": False} for text in play.steps]
            opening = [
                (h, owners.owner(play.owner_role, h))
                for h in candidates
                if h.account_id not in blocked
            ]
            result.opened = _insert_opened(play=play, day=day, opening=opening, steps=steps)
            outbox.ctas_opened(play=play, day=day, account_ids=[h.account_id for h, _ in opening])
    return result


def evaluate(
    *,
    day: dt.date,
    accounts: AccountFilter | None = None,
    triggers: tuple[str, ...] | None = None,
) -> list[PlayResult]:
    """Evaluate every active play (or those of `triggers`) for `day`, one transaction per play."""
    accounts = accounts or AccountFilter()
    plays = Play.objects.filter(active=True).order_by("id")
    if triggers is not None:
        plays = plays.filter(trigger__in=triggers)
    owners = None
    results = []
    for play in plays:
        if owners is None:
            owners = Owners(accounts)
        results.append(evaluate_play(play=play, day=day, accounts=accounts, owners=owners))
    return results
