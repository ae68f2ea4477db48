"""The outbox of domain events, the webhook subscriptions and every delivery attempt.

An `Event` row is written in the same transaction as the change that caused it
(the emitting app calls `events.services.record_event`); after commit it is
fanned out into one `Delivery` per matching `Subscription`, and each delivery is
POSTed until the receiver answers 2xx or the retry schedule runs out
(docs/events.md).
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    ACCOUNT_LEVEL_CHANGED = "account.level_changed", _("Deep-integration level changed")
    ACCOUNT_COLOR_CHANGED = "account.color_changed", _("Health colour changed")
    CTA_OPENED = "cta.opened", _("CTA opened")
    CTA_CLOSED = "cta.closed", _("CTA closed")
    VISIT_LOGGED = "visit.logged", _("Visit logged")
    REQUIREMENT_RAISED = "requirement.raised", _("Requirement raised")
    REQUIREMENT_OVERDUE = "requirement.overdue", _("Requirement overdue")


ALL_EVENTS = "*"
# What a subscription's `events` may list.
SUBSCRIBABLE = [ALL_EVENTS, *EventType.values]


class Event(models.Model):
    """One thing that happened to an account. `id` orders events; `uuid` is what receivers see."""

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    account_external_id = models.CharField(_("account"), max_length=64)
    account_name = models.CharField(_("account name"), max_length=200)
    vertical = models.ForeignKey(
        "verticals.Vertical",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("vertical"),
    )
    # The code when the emitter knew it (set-based emits); payloads read the vertical itself.
    vertical_code = models.CharField(_("vertical code"), max_length=40, blank=True)
    data = models.JSONField(_("data"), default=dict)
    # Set by emitters that must write an event only once per thing (a requirement overdue).
    dedup_key = models.CharField(
        _("de-duplication key"), max_length=120, null=True, blank=True, unique=True
    )
    # False until the event has been turned into one Delivery per matching subscription.
    fanned_out = models.BooleanField(_("fanned out"), default=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["id"], name="event_not_fanned_out", condition=Q(fanned_out=False)),
        ]

    def __str__(self) -> str:
        return f"{self.type} · {self.account_external_id}"


class Format(models.TextChoices):
    JSON = "json", _("JSON (signed)")
    DINGTALK = "dingtalk", _("DingTalk robot")
    FEISHU = "feishu", _("Feishu / Lark robot")
    SLACK = "slack", _("Slack incoming webhook")


class Language(models.TextChoices):
    EN = "en", _("English")
    ZH_HANS = "zh-hans", _("Simplified Chinese")


def new_secret() -> str:
    return secrets.token_hex(24)


class Subscription(models.Model):
    """Where events go: a URL, which event types, which verticals, in which format."""

    # The 50th failure in a row switches the subscription off (DESIGN.md).
    MAX_CONSECUTIVE_FAILURES = 50

    name = models.CharField(_("name"), max_length=120, blank=True)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(
        _("events"), default=list, help_text=_('Event types, or ["*"] for every type.')
    )
    verticals = models.ManyToManyField(
        "verticals.Vertical",
        blank=True,
        related_name="+",
        verbose_name=_("verticals"),
        help_text=_("Empty: every vertical the creator may see."),
    )
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default="json")
    secret = models.CharField(_("secret"), max_length=200, default=new_secret)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.EN
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    disabled_reason = models.CharField(_("why it was switched off"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name or self.url

    def wants(self, event_type: str) -> bool:
        return ALL_EVENTS in self.events or event_type in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event for one subscription: pending until a 2xx answer, failed when retries run out."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    # Copied from the event: deliveries of one (subscription, account) go out in event order.
    account_external_id = models.CharField(_("account"), max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default="pending"
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="delivery_one_per_subscription"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="delivery_due", condition=Q(status="pending")
            ),
            models.Index(
                fields=["subscription", "account_external_id", "event"],
                name="delivery_pending_in_order",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: when, the answer's status and first 1 kB, how long, what failed."""

    ANSWER_LIMIT = 1024

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="log", verbose_name=_("delivery")
    )
    attempted_at = models.DateTimeField(_("attempted at"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    answer = models.TextField(_("answer (first 1 kB)"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
