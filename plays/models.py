"""Plays (rules the COO keeps) and the CTAs (calls to action) they open for accounts."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import triggers
from .triggers import OwnerRole, Trigger


class Play(models.Model):
    """One per trigger (created by migration 0002); the COO edits it in the admin."""

    trigger = models.CharField(_("trigger"), max_length=32, choices=Trigger.choices, unique=True)
    name = models.CharField(_("name"), max_length=120)
    parameters = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_("The trigger's parameters; a missing one takes its documented default."),
    )
    owner_role = models.CharField(_("owner role"), max_length=10, choices=OwnerRole.choices)
    due_days = models.PositiveSmallIntegerField(
        _("due after (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    steps = models.JSONField(
        _("steps"), default=list, blank=True, help_text=_("What to do, one text per step.")
    )
    snooze_days = models.PositiveSmallIntegerField(
        _("snooze after done or dismissed (days)"),
        default=14,
        help_text=_("A CTA closed as done or dismissed is not reopened for this many days."),
    )
    clear_days = models.PositiveSmallIntegerField(
        _("resolve after (days clear)"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("Consecutive evaluated days without the condition before a CTA resolves."),
    )
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("play")
        verbose_name_plural = _("plays")
        constraints = [
            models.CheckConstraint(
                name="play_trigger_valid", condition=Q(trigger__in=[t.value for t in Trigger])
            ),
            models.CheckConstraint(
                name="play_owner_role_valid",
                condition=Q(owner_role__in=[r.value for r in OwnerRole]),
            ),
            models.CheckConstraint(name="play_clear_days_positive", condition=Q(clear_days__gte=1)),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_parameters(self) -> dict:
        return triggers.parameters_with_defaults(self.trigger, self.parameters)

    def clean(self):
        errors = {}
        problems = triggers.validate_parameters(self.trigger, self.parameters)
        if problems:
            errors["parameters"] = [f"{name}: {reason}" for name, reason in problems.items()]
        if not isinstance(self.steps, list) or not all(
            isinstance(step, str) and step.strip() for step in self.steps
        ):
            errors["steps"] = _("Must be a list of non-empty texts.")
        if errors:
            raise ValidationError(errors)


class CTAStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DISMISSED = "dismissed", _("Dismissed")
    RESOLVED = "resolved", _("Resolved")


# Closed by a person: these snooze the play for the account.
CLOSED_BY_PERSON = (CTAStatus.DONE, CTAStatus.DISMISSED)


class CTA(models.Model):
    """A call to action: work a play opened for an account, with a reason, an owner and a due date.

    `reason_numbers` keeps the numbers behind the reason; the words are rendered
    when read (plays.reasons), in the reader's language.

    An evaluation writes a day's CTAs in bulk, up to one per account (plays.evaluation):
    like the daily status, the table has no foreign-key constraints in the database
    (each costs a lookup and a lock per row written) and no index that another one
    already starts with. Django still applies each `on_delete`.
    """

    # Indexed by cta_account_play_closed (and the open constraint), which start with it.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="ctas",
        verbose_name=_("account"),
    )
    # Indexed for open CTAs by cta_one_open_per_account_play, which starts with it.
    play = models.ForeignKey(
        Play,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="ctas",
        verbose_name=_("play"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CTAStatus.choices, default=CTAStatus.OPEN
    )
    reason_numbers = models.JSONField(_("reason (numbers)"), default=dict)
    opened_on = models.DateField(_("opened on"))
    due_on = models.DateField(_("due on"))
    # Indexed by cta_owner_status.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="ctas",
        verbose_name=_("owner"),
    )
    steps = models.JSONField(_("steps"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The last day evaluated for this CTA, the last day its condition held, and how many
    # evaluated days in a row since then it did not: `clear_days` of them resolve it.
    last_evaluated_on = models.DateField(_("last evaluated on"))
    last_held_on = models.DateField(_("condition last held on"))
    clear_streak = models.PositiveSmallIntegerField(_("days clear"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Indexed by cta_closed_by, only where set (a CTA is opened without it).
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("CTA")
        verbose_name_plural = _("CTAs")
        constraints = [
            # (play, account): it also finds a play's open CTAs for the evaluation.
            models.UniqueConstraint(
                fields=["play", "account"],
                condition=Q(status="open"),
                name="cta_one_open_per_account_play",
            ),
            models.CheckConstraint(
                name="cta_status_valid", condition=Q(status__in=[s.value for s in CTAStatus])
            ),
            models.CheckConstraint(
                name="cta_closed_has_day",
                condition=Q(status="open") | Q(closed_on__isnull=False, closed_at__isnull=False),
            ),
            models.CheckConstraint(
                name="cta_dismissed_has_note", condition=~Q(status="dismissed") | ~Q(note="")
            ),
            models.CheckConstraint(
                name="cta_due_after_opened", condition=Q(due_on__gte=models.F("opened_on"))
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="cta_owner_status"),
            models.Index(fields=["account", "play", "closed_on"], name="cta_account_play_closed"),
            models.Index(
                fields=["closed_by"], name="cta_closed_by", condition=Q(closed_by__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.play} · {self.account}"

    @property
    def is_open(self) -> bool:
        return self.status == CTAStatus.OPEN

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.due_on < today
