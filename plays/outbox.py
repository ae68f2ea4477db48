"""The events plays write to the outbox (events.services), in the transaction that opens or closes CTAs.

`cta.closed` when a person closes one (with the CTA as the API shows it);
`cta.opened` and `cta.closed` (resolved) from an evaluation, set-based: one
INSERT … SELECT per play and day, whatever the number of CTAs. Every payload
carries the reason as numbers (`reason_numbers`); `cta_in_words` puts it (and a
resolution) in words when the event is sent, in the subscription's language
(registered with events.messages in PlaysConfig.ready: events imports no plays).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts.event_rows import event_rows_sql
from core.json_sql import json_object_sql
from events.models import EventType
from events.services import AccountRef, record_event, record_events_sql
from metrics.status_sql import params_datetime

from . import reasons
from .api.serializers import CTASerializer
from .models import CTA, Play


def cta_closed(cta: CTA) -> None:
    """A person closed `cta` (done or dismissed)."""
    record_event(
        event_type=EventType.CTA_CLOSED,
        account=AccountRef.of(cta.account),
        data={"cta": {**CTASerializer(cta).data, "reason_numbers": cta.reason_numbers}},
        occurred_at=cta.closed_at,
    )


def cta_in_words(data: dict) -> dict:
    """A CTA event's data with `reason` (and, resolved, `resolution`) in the active language.

    Rendered from the numbers the payload holds (plays.reasons), as the CTA API
    renders them; called by events when it sends the event (events.messages).
    """
    cta = data.get("cta")
    if not isinstance(cta, dict) or "reason_numbers" not in cta:
        return data
    worded = {**cta, "reason": reasons.render(cta.get("play"), cta["reason_numbers"])}
    if cta.get("status") == "resolved" and cta.get("last_held_on"):
        worded["resolution"] = reasons.render_resolution(
            closed_on=cta.get("closed_on"),
            last_held_on=cta["last_held_on"],
            clear_days=cta.get("clear_streak"),
        )
    return {**data, "cta": worded}


def _ids_condition(column: str, ids: Sequence[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({','.join(str(int(i)) for i in ids) or 'NULL'})", []


def _ctas_select(condition: str) -> str:
    """EVENT_SELECT_COLUMNS (events.services) of the CTAs matching `condition`, as {"cta": {…}}."""
    cta, play = CTA._meta.db_table, Play._meta.db_table
    user = get_user_model()._meta.db_table
    # Stored JSON: PostgreSQL's jsonb nests as it is, SQLite's text is parsed by json().
    stored = "" if connection.vendor == "postgresql" else "json"
    fields = (
        "'id', c.id, 'account', a.external_id, 'account_name', a.name, 'play', p.trigger, "
        f"'play_name', p.name, 'status', c.status, 'reason_numbers', {stored}(c.reason_numbers), "
        "'opened_on', c.opened_on, 'due_on', c.due_on, 'owner', u.username, "
        f"'steps', {stored}(c.steps), 'closed_at', c.closed_at, 'closed_on', c.closed_on, "
        "'note', c.note, 'last_held_on', c.last_held_on, 'clear_streak', c.clear_streak"
    )
    return event_rows_sql(
        data=json_object_sql(f"'cta', {json_object_sql(fields)}"),
        source=(
            f"{cta} c JOIN {play} p ON p.id = c.play_id LEFT JOIN {user} u ON u.id = c.owner_id"
        ),
        account_id="c.account_id",
        where=condition,
        order_by="c.id",
    )  # table names from model meta; ids bound or inlined through int()


def _ctas_events(event_type: str, cta_ids: Sequence[int]) -> int:
    """One `event_type` event per CTA of `cta_ids`, set-based; events written."""
    if not cta_ids:
        return 0
    condition, params = _ids_condition("c.id", cta_ids)
    return record_events_sql(
        event_type=event_type,
        select_sql=_ctas_select(condition),
        params=[params_datetime(timezone.now()), *params],
    )


def ctas_opened(cta_ids: Sequence[int]) -> int:
    """`cta.opened` for CTAs an evaluation opened; events written."""
    return _ctas_events(EventType.CTA_OPENED, cta_ids)


def ctas_closed_by_evaluation(cta_ids: Sequence[int]) -> int:
    """`cta.closed` for CTAs an evaluation resolved; events written."""
    return _ctas_events(EventType.CTA_CLOSED, cta_ids)
