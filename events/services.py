"""Writes of the events app: recording events in the caller's transaction, fanning them out, delivering.

At least once, in order per (subscription, account), nothing lost:

- `record_events` (given rows) and `record_events_sql` (a set, from a SELECT) write
  outbox rows in the emitter's transaction with one INSERT … SELECT each, and
  after commit `events.dispatch` sends `events.deliver_events` /
  `events.deliver_due`; a broker that is down only delays them, since the beat
  sweep (`deliver_due`, every minute) finds every row;
- `fan_out` turns events into one Delivery per subscription that receives them;
- `deliver_one` POSTs one delivery while holding its row lock (a second worker
  skips it), and only when no earlier delivery of the same subscription and
  account is still pending. A worker killed mid-POST rolls back: the delivery
  stays pending and is sent again (receivers de-duplicate by the event id).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from verticals.selectors import sees_all_verticals

from . import dispatch, formats, http_post
from .models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Event,
    Subscription,
)
from .receiver_address import UnsafeReceiver, check_receiver
from .selectors import anyone_listens, creator_receives, lead_vertical_ids

logger = logging.getLogger(__name__)

FAN_OUT_BATCH = 500


@dataclass(frozen=True)
class AccountRef:
    """The account an event is about, as the emitter knows it (events cannot import accounts)."""

    external_id: str
    name: str
    vertical_id: int | None
    vertical_code: str

    @classmethod
    def of(cls, account) -> AccountRef:
        """From an Account-like object (external_id, name, vertical_id).

        The vertical's code is taken only when already loaded (no query on the
        request's path); otherwise the payload reads it from the event's vertical.
        """
        loaded = type(account)._meta.get_field("vertical").is_cached(account)
        return cls(
            external_id=account.external_id,
            name=account.name,
            vertical_id=account.vertical_id,
            vertical_code=account.vertical.code if loaded and account.vertical_id else "",
        )


# --- recording --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEvent:
    """An event to record: its type, its account, its `data` and when it happened (now if None)."""

    type: str
    account: AccountRef
    data: dict
    occurred_at: dt.datetime | None = None


# The columns record_events writes from each NewEvent, in this order.
_NEW_EVENT_COLUMNS = (
    "uuid",
    "type",
    "occurred_at",
    "account_external_id",
    "account_name",
    "vertical_id",
    "vertical_code",
    "data",
)


def _listened_sql(type_column: str) -> str:
    """SQL true when an active subscription receives the type in `type_column` (or `*`)."""
    table = Subscription._meta.db_table
    # Table name from model meta; type_column is our own SQL.
    if connection.vendor == "postgresql":
        return (
            f"EXISTS (SELECT 1 FROM {table} s WHERE s.active AND "  # noqa: S608
            f"(s.events @> '[\"*\"]'::jsonb OR s.events @> jsonb_build_array({type_column})))"
        )
    return (
        f"EXISTS (SELECT 1 FROM {table} s, json_each(s.events) e "  # noqa: S608
        f"WHERE s.active AND e.value IN ('*', {type_column}))"
    )


def record_events(events: Sequence[NewEvent]) -> list[int]:
    """Write the outbox rows of `events` that an active subscription receives; their ids.

    One statement in the caller's transaction, whatever the number of events: an
    INSERT … SELECT from the given rows that keeps only the types some active
    subscription receives (docs/events.md: nothing is written for nobody), so the
    subscription check costs no query of its own. After commit, one delivery task
    for all of them (events.dispatch).
    """
    if not events:
        return []
    fields = [Event._meta.get_field(name) for name in _NEW_EVENT_COLUMNS]
    now = timezone.now()
    params: list = []
    for n, event in enumerate(events):
        values = (
            uuid.uuid4(),
            event.type,
            event.occurred_at or now,
            event.account.external_id,
            event.account.name,
            event.account.vertical_id,
            event.account.vertical_code,
            event.data,
        )
        params.append(n)
        params += [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    if connection.vendor == "postgresql":
        casts = ("::uuid", "", "::timestamptz", "", "", "::bigint", "", "::jsonb")
    else:
        casts = ("",) * len(_NEW_EVENT_COLUMNS)
    row = "(" + ", ".join(["%s"] * (len(_NEW_EVENT_COLUMNS) + 1)) + ")"
    names = ", ".join(_NEW_EVENT_COLUMNS)
    select = ", ".join(f"v.{c}{cast}" for c, cast in zip(_NEW_EVENT_COLUMNS, casts, strict=True))
    sql = f"""
        WITH v (n, {names}) AS (VALUES {", ".join([row] * len(events))})
        INSERT INTO {Event._meta.db_table} (fanned_out, {names})
        SELECT %s, {select} FROM v WHERE {_listened_sql("v.type")} ORDER BY v.n
        RETURNING id
    """  # noqa: S608 - table and column names from model meta
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, False])
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        dispatch.after_commit(ids)
    return ids


def record_event(
    *,
    event_type: str,
    account: AccountRef,
    data: dict | Callable[[], dict],
    occurred_at: dt.datetime | None = None,
    dedup_key: str | None = None,
) -> int | None:
    """Write one outbox row in the caller's transaction (record_events); its id, or None.

    With `dedup_key`, nothing is written when an event with that key exists.
    `data` may be a function, called only when the event is written.

    Nothing is written when no active subscription receives `event_type`
    (docs/events.md: events are not kept for subscriptions created later).
    """
    if dedup_key is None and not callable(data):
        ids = record_events([NewEvent(event_type, account, data, occurred_at)])
        return ids[0] if ids else None
    if not anyone_listens(event_type):
        return None
    if dedup_key is not None and Event.objects.filter(dedup_key=dedup_key).exists():
        return None
    event = Event.objects.create(
        dedup_key=dedup_key,
        type=event_type,
        occurred_at=occurred_at or timezone.now(),
        account_external_id=account.external_id,
        account_name=account.name,
        vertical_id=account.vertical_id,
        vertical_code=account.vertical_code,
        data=data() if callable(data) else data,
    )
    dispatch.after_commit([event.pk])
    return event.pk


# Columns the SELECT given to record_events_sql must return, in this order.
EVENT_SELECT_COLUMNS = (
    "occurred_at",
    "account_external_id",
    "account_name",
    "vertical_id",
    "vertical_code",
    "data",  # JSON text
)


def record_events_sql(*, event_type: str, select_sql: str, params) -> int:
    """Write one outbox row per row of `select_sql` (columns EVENT_SELECT_COLUMNS), set-based.

    For emitters that change many accounts at once (a recompute, plays): one
    INSERT … SELECT in the caller's transaction, then one `deliver_due` after
    commit. Rows written; 0 (and no statement) when nobody listens.
    """
    if not anyone_listens(event_type):
        return 0
    table = Event._meta.db_table
    if connection.vendor == "postgresql":
        new_uuid, data = "gen_random_uuid()", "src.data::jsonb"
    else:
        new_uuid, data = "lower(hex(randomblob(16)))", "src.data"
    columns = ", ".join(f"src.{c}" for c in EVENT_SELECT_COLUMNS[:-1])
    sql = f"""
        INSERT INTO {table} (uuid, type, fanned_out, occurred_at, account_external_id,
                             account_name, vertical_id, vertical_code, data)
        SELECT {new_uuid}, %s, %s, {columns}, {data}
        FROM ({select_sql}) AS src
    """  # noqa: S608 - table name from model meta; select_sql from our own emitters
    with connection.cursor() as cursor:
        cursor.execute(sql, [event_type, False, *params])
        written = max(cursor.rowcount, 0)
    if written:
        dispatch.after_commit(dispatch.DUE)
    return written


# --- fan-out ----------------------------------------------------------------------------


def fan_out(*, event_ids: Iterable[int] | None = None, batch: int = FAN_OUT_BATCH) -> int:
    """Create the deliveries of events not fanned out yet, oldest first; deliveries created.

    Each batch is claimed with row locks (skip locked), so concurrent sweeps
    share the work; the unique (event, subscription) makes a re-run harmless.
    """
    created = 0
    while True:
        with transaction.atomic():
            pending = Event.objects.filter(fanned_out=False).order_by("id")
            if event_ids is not None:
                pending = pending.filter(id__in=list(event_ids))
            events = list(pending.select_for_update(skip_locked=True)[:batch])
            if not events:
                return created
            subscriptions = list(
                Subscription.objects.filter(active=True)
                .select_related("created_by")
                .prefetch_related("verticals")
            )
            now = timezone.now()
            rows = [
                Delivery(
                    event=event,
                    subscription=subscription,
                    account_external_id=event.account_external_id,
                    next_attempt_at=now,
                )
                for event in events
                for subscription in subscriptions
                if subscription.wants(event.type)
                and creator_receives(subscription, event.vertical_id)
            ]
            Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
            Event.objects.filter(id__in=[e.id for e in events]).update(fanned_out=True)
            created += len(rows)
        if event_ids is not None:
            return created


# --- delivering -------------------------------------------------------------------------


def _earlier_pending():
    return Delivery.objects.filter(
        subscription_id=OuterRef("subscription_id"),
        account_external_id=OuterRef("account_external_id"),
        status=DeliveryStatus.PENDING,
        event_id__lt=OuterRef("event_id"),
    )


def due_deliveries(*, now: dt.datetime | None = None, account_external_id: str | None = None):
    """Pending deliveries due now whose earlier ones (same subscription and account) are done."""
    due = Delivery.objects.filter(
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now or timezone.now(),
        subscription__active=True,
    )
    if account_external_id is not None:
        due = due.filter(account_external_id=account_external_id)
    return due.filter(~Exists(_earlier_pending())).order_by("event_id", "id")


def retry_delay(attempts: int) -> int | None:
    """Seconds before the next attempt after `attempts` failed ones; None when none is left."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    return schedule[attempts - 1] if attempts <= len(schedule) else None


def deliver_one(delivery_id: int) -> str | None:
    """Send one pending delivery if it is due and in order; its status afterwards, or None.

    None: another worker holds it, it is no longer pending, its subscription is
    off, or an earlier delivery of the same subscription and account is pending.
    """
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event__vertical", "subscription")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, subscription__active=True)
            .filter(~Exists(_earlier_pending()))
            .first()
        )
        if delivery is None:
            return None
        answer = _post(delivery)
        _record(delivery, answer)
        return delivery.status


def _post(delivery: Delivery) -> http_post.Answer:
    subscription, event = delivery.subscription, delivery.event
    now = timezone.now()
    request = formats.render(subscription, event, now=now)
    try:
        receiver = check_receiver(request.url)
    except UnsafeReceiver as exc:
        return http_post.Answer(status_code=None, body="", duration_ms=0, error=exc.messages[0])
    return http_post.post(receiver, body=request.body, headers=request.headers)


def _record(delivery: Delivery, answer: http_post.Answer) -> None:
    now = timezone.now()
    DeliveryAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=answer.status_code,
        answer=answer.body[: DeliveryAttempt.ANSWER_LIMIT],
        duration_ms=answer.duration_ms,
        error=answer.error[:300],
    )
    delivery.attempts += 1
    subscription = delivery.subscription
    if answer.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        if subscription.consecutive_failures:
            Subscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
    else:
        delay = retry_delay(delivery.attempts)
        if delay is None:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + dt.timedelta(seconds=delay)
        _count_failure(subscription)
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "delivered_at"])


def _count_failure(subscription: Subscription) -> None:
    Subscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    switched_off = Subscription.objects.filter(
        pk=subscription.pk,
        active=True,
        consecutive_failures__gte=Subscription.MAX_CONSECUTIVE_FAILURES,
    ).update(
        active=False,
        disabled_reason=_("Switched off after %(n)d failed deliveries in a row.")
        % {"n": Subscription.MAX_CONSECUTIVE_FAILURES},
    )
    if switched_off:
        # Told once the switch-off is committed (Django's email backend), never for a rollback.
        transaction.on_commit(lambda: _tell_creator(subscription.pk), robust=True)


def _tell_creator(subscription_id: int) -> None:
    subscription = Subscription.objects.select_related("created_by").get(pk=subscription_id)
    creator = subscription.created_by
    if not creator.email:
        logger.warning(
            "events: subscription %s switched off; its creator has no email", subscription_id
        )
        return
    send_mail(
        subject=_("Frontline switched off your webhook %(name)s") % {"name": subscription},
        message=_(
            "The webhook %(url)s failed %(n)d times in a row and was switched off. "
            "Fix the receiver, then switch it on again in the admin or with "
            'PATCH /api/v1/webhooks/%(id)d/ {"active": true}.'
        )
        % {
            "url": subscription.url,
            "n": Subscription.MAX_CONSECUTIVE_FAILURES,
            "id": subscription.pk,
        },
        from_email=None,
        recipient_list=[creator.email],
    )


# Functions of higher apps that record time-based events (a requirement now overdue), run by
# every sweep before it fans out; registered from their AppConfig.ready().
DETECTORS: list = []


def register_detector(detector) -> None:
    """Run `detector()` (it writes its events through record_event) at the start of each sweep."""
    if detector not in DETECTORS:
        DETECTORS.append(detector)


def run_detectors() -> None:
    for detector in DETECTORS:
        try:
            with transaction.atomic():
                detector()
        except Exception:
            logger.exception("events: detector %s failed", getattr(detector, "__name__", detector))


def deliver_due(
    *, limit: int = 10_000, account_external_id: str | None = None, fan_out_first: bool = True
) -> int:
    """Run the detectors, fan out new events, then send every delivery due now, in order.

    Returns the attempts made. A delivery made unblocks the next one of its
    subscription and account, so this loops until nothing due is left (or
    `limit` attempts were made).
    """
    if fan_out_first:
        run_detectors()
        fan_out()
    attempted = 0
    while attempted < limit:
        ids = list(
            due_deliveries(account_external_id=account_external_id).values_list("id", flat=True)[
                : min(500, limit - attempted)
            ]
        )
        progress = 0
        for delivery_id in ids:
            if deliver_one(delivery_id) is not None:
                progress += 1
        attempted += progress
        if not progress:
            break
    return attempted


def deliver_events(event_ids: Sequence[int]) -> int:
    """After commit: fan out these events and send what is due for their accounts; attempts made."""
    fan_out(event_ids=event_ids)
    accounts = (
        Event.objects.filter(pk__in=list(event_ids))
        .order_by("account_external_id")
        .values_list("account_external_id", flat=True)
        .distinct()
    )
    return sum(
        deliver_due(account_external_id=account, fan_out_first=False) for account in accounts
    )


# Events looked at per transaction by prune_events.
PRUNE_BATCH = 1000


def prune_events(*, now: dt.datetime | None = None, batch: int = PRUNE_BATCH) -> int:
    """Delete the events done for EVENTS_RETENTION_DAYS, with their deliveries and attempts.

    Done: fanned out, happened before the cutoff, and no delivery pending or
    created after it (a receiver's log stays visible that long). Walks the outbox
    by id up to the newest id at the start, `batch` events per transaction, so it
    never holds a long transaction or many locks. Events deleted.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.EVENTS_RETENTION_DAYS)
    kept = Delivery.objects.filter(event_id=OuterRef("pk")).filter(
        Q(status=DeliveryStatus.PENDING) | Q(created_at__gte=cutoff)
    )
    newest = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    after, deleted = 0, 0
    while after < newest:
        with transaction.atomic():
            ids = list(
                Event.objects.filter(id__gt=after, id__lte=newest)
                .order_by("id")
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                break
            after = ids[-1]
            done = list(
                Event.objects.filter(id__in=ids, fanned_out=True, occurred_at__lt=cutoff)
                .filter(~Exists(kept))
                .values_list("id", flat=True)
            )
            if done:
                DeliveryAttempt.objects.filter(delivery__event_id__in=done).delete()
                Delivery.objects.filter(event_id__in=done).delete()
                Event.objects.filter(id__in=done).delete()
                deleted += len(done)
    return deleted


def send_again(*, deliveries: Iterable[Delivery]) -> int:
    """Queue deliveries again from scratch (the admin's "send again"); deliveries queued."""
    ids = [d.pk for d in deliveries]
    queued = Delivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), delivered_at=None
    )
    if queued:
        dispatch.after_commit(dispatch.DUE)
    return queued


# --- subscriptions ----------------------------------------------------------------------


def check_subscription_url(url: str) -> None:
    """Refuse a receiver URL that would be an SSRF (raises ValidationError naming `url`)."""
    try:
        check_receiver(url)
    except UnsafeReceiver as exc:
        raise ValidationError({"url": exc.messages}) from None


def save_subscription(
    *, user, values: dict, subscription: Subscription | None = None
) -> Subscription:
    """Create (`subscription` None) or change a subscription as `user`; ValidationError naming the field.

    The URL is checked against SSRF; a lead may only name verticals she leads.
    """
    if "url" in values:
        check_subscription_url(values["url"])
    verticals = values.pop("verticals", None)
    if verticals is not None and not sees_all_verticals(user):
        allowed = set(lead_vertical_ids(user))
        outside = sorted(v.code for v in verticals if v.pk not in allowed)
        if outside:
            raise ValidationError(
                {"verticals": _("You lead no vertical %(codes)s.") % {"codes": ", ".join(outside)}}
            )
    with transaction.atomic():
        if subscription is None:
            if not values.get("secret"):
                values.pop("secret", None)
            subscription = Subscription(created_by=user, **values)
        else:
            for name, value in values.items():
                setattr(subscription, name, value)
            if values.get("active"):
                subscription.consecutive_failures = 0
                subscription.disabled_reason = ""
        subscription.full_clean()
        subscription.save()
        if verticals is not None:
            subscription.verticals.set(verticals)
    return subscription
