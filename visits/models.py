"""Visits to customers, the requirements they raised and the follow-ups we promised."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.days import business_today


class VisitType(models.TextChoices):
    EXECUTIVE = "executive", _("Executive visit")
    CHECK_IN = "check_in", _("CSM check-in")
    BUSINESS_REVIEW = "business_review", _("Business review")
    WORKSHOP = "workshop", _("Workshop")
    ONLINE = "online", _("Online meeting")


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


# How far back a visit may be dated: imports bring years of an old system's records, so the
# bound is wide; it stops typos like 1999 or 2206 (docs/visits.md, "Visit dates").
VISIT_HISTORY_YEARS = 10


def visit_date_bounds(today: date | None = None) -> tuple[date, date]:
    """The earliest and latest day a visit may be dated, both inclusive."""
    today = today or business_today()
    try:
        earliest = today.replace(year=today.year - VISIT_HISTORY_YEARS)
    except ValueError:  # 29 February
        earliest = today.replace(year=today.year - VISIT_HISTORY_YEARS, day=28)
    return earliest, today


def visit_date_error(visited_on: date, *, today: date | None = None) -> str | None:
    """Why `visited_on` cannot be a visit's date, or None. The admin, import and API call this."""
    earliest, latest = visit_date_bounds(today)
    if visited_on > latest:
        return _(
            "%(value)s is in the future: a visit is dated today (%(today)s) at the latest."
        ) % {
            "value": visited_on.isoformat(),
            "today": latest.isoformat(),
        }
    if visited_on < earliest:
        return _(
            "%(value)s is more than %(years)d years ago: a visit is dated %(earliest)s at the "
            "earliest."
        ) % {
            "value": visited_on.isoformat(),
            "years": VISIT_HISTORY_YEARS,
            "earliest": earliest.isoformat(),
        }
    return None


class Visit(models.Model):
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="visits",
        verbose_name=_("account"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visits_logged",
        verbose_name=_("logged by"),
    )
    visited_on = models.DateField(_("visited on"), default=timezone.localdate)
    visit_type = models.CharField(
        _("visit type"), max_length=20, choices=VisitType.choices, default=VisitType.CHECK_IN
    )
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    sentiment = models.CharField(
        _("customer sentiment"), max_length=10, choices=Sentiment.choices, default=Sentiment.NEUTRAL
    )
    staff_attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="visits_attended",
        verbose_name=_("our attendees"),
    )
    contact_attendees = models.ManyToManyField(
        "accounts.Contact",
        blank=True,
        related_name="visits_attended",
        verbose_name=_("customer attendees"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[staff_attendees, contact_attendees])

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.CheckConstraint(
                name="visit_type_valid", condition=Q(visit_type__in=[t.value for t in VisitType])
            ),
            models.CheckConstraint(
                name="visit_sentiment_valid",
                condition=Q(sentiment__in=[s.value for s in Sentiment]),
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-visited_on"]),
            models.Index(fields=["author", "visited_on"]),
            models.Index(fields=["visited_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.visited_on:%Y-%m-%d} · {self.get_visit_type_display()}"

    def clean(self) -> None:
        super().clean()
        if self.visited_on is None:
            return
        if not self._state.adding:
            # Editing an old visit's notes must not fail because its date has aged past the bound.
            stored = Visit.objects.filter(pk=self.pk).values_list("visited_on", flat=True).first()
            if stored == self.visited_on:
                return
        error = visit_date_error(self.visited_on)
        if error:
            raise ValidationError({"visited_on": error})


class RequirementCategory(models.TextChoices):
    INTEGRATION = "integration", _("Integration")
    FEATURE = "feature", _("Feature")
    TRAINING = "training", _("Training")
    INCIDENT = "incident", _("Incident")
    COMMERCIAL = "commercial", _("Commercial")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class RequirementStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    DECLINED = "declined", _("Declined")


OPEN_REQUIREMENT_STATUSES = (RequirementStatus.OPEN, RequirementStatus.IN_PROGRESS)


def overdue_requirement_q(*, sla_hours: int, now=None) -> Q:
    """Open, no first response, raised more than `sla_hours` before `now`: the SLA was missed."""
    now = now or timezone.now()
    return Q(
        status__in=OPEN_REQUIREMENT_STATUSES,
        first_response_at__isnull=True,
        raised_at__lt=now - timedelta(hours=sla_hours),
    )


class RequirementQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_REQUIREMENT_STATUSES)

    def overdue(self, *, sla_hours: int, now=None):
        """Open requirements with no first response within the SLA."""
        return self.filter(overdue_requirement_q(sla_hours=sla_hours, now=now))


class Requirement(models.Model):
    """Something the customer asked for; how fast we answered is part of the record."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="requirements",
        verbose_name=_("account"),
    )
    visit = models.ForeignKey(
        Visit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requirements",
        verbose_name=_("raised at visit"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(
        _("category"),
        max_length=20,
        choices=RequirementCategory.choices,
        default=RequirementCategory.FEATURE,
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RequirementStatus.choices,
        default=RequirementStatus.OPEN,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requirements_owned",
        verbose_name=_("owner"),
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    history = HistoricalRecords()
    objects = RequirementQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        constraints = [
            models.CheckConstraint(
                name="requirement_category_valid",
                condition=Q(category__in=[c.value for c in RequirementCategory]),
            ),
            models.CheckConstraint(
                name="requirement_priority_valid",
                condition=Q(priority__in=[p.value for p in Priority]),
            ),
            models.CheckConstraint(
                name="requirement_status_valid",
                condition=Q(status__in=[s.value for s in RequirementStatus]),
            ),
            models.CheckConstraint(
                name="requirement_response_after_raised",
                condition=Q(first_response_at__isnull=True)
                | Q(first_response_at__gte=F("raised_at")),
            ),
            models.CheckConstraint(
                name="requirement_resolved_after_raised",
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("raised_at")),
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["status", "raised_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.first_response_at and self.raised_at and self.first_response_at < self.raised_at:
            errors["first_response_at"] = _(
                "The first response cannot come before the requirement was raised."
            )
        if self.resolved_at and self.raised_at and self.resolved_at < self.raised_at:
            errors["resolved_at"] = _("A requirement cannot be resolved before it was raised.")
        if self.visit_id and self.account_id and self.visit.account_id != self.account_id:
            errors["visit"] = _("The visit belongs to another account.")
        if errors:
            raise ValidationError(errors)

    @property
    def response_hours(self) -> float | None:
        if self.first_response_at is None or self.raised_at is None:
            return None
        return round((self.first_response_at - self.raised_at).total_seconds() / 3600, 1)

    def response_due_at(self, *, sla_hours: int):
        """When the first response is due: raised + the policy's SLA hours."""
        return self.raised_at + timedelta(hours=sla_hours)

    def answered_late(self, *, sla_hours: int) -> bool:
        """Whether the first response came after the SLA."""
        return self.first_response_at is not None and self.first_response_at > self.response_due_at(
            sla_hours=sla_hours
        )

    def sla_text(self, *, sla_hours: int, now=None) -> str:
        """The SLA as a deadline, in words: "answer due by …, 5 h left", "3 h late", "answered
        in 40.9 h, late (SLA 24 h)"; "—" for a closed requirement never answered."""
        due = timezone.localtime(self.response_due_at(sla_hours=sla_hours))
        if self.first_response_at is not None:
            template = (
                _("answered in %(hours)s h, late (SLA %(sla)d h)")
                if self.answered_late(sla_hours=sla_hours)
                else _("answered in %(hours)s h (SLA %(sla)d h)")
            )
            return template % {"hours": self.response_hours, "sla": sla_hours}
        if self.status not in OPEN_REQUIREMENT_STATUSES:
            return "—"
        hours = round(((now or timezone.now()) - due).total_seconds() / 3600, 1)
        values = {"due": due.strftime("%Y-%m-%d %H:%M"), "hours": abs(hours)}
        if hours > 0:
            return _("answer was due by %(due)s, %(hours)s h late") % values
        return _("answer due by %(due)s, %(hours)s h left") % values

    def is_overdue(self, *, sla_hours: int, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status in OPEN_REQUIREMENT_STATUSES
            and self.first_response_at is None
            and self.raised_at < now - timedelta(hours=sla_hours)
        )


class ActionItemQuerySet(models.QuerySet):
    def open(self):
        return self.filter(done_at__isnull=True)

    def overdue(self, *, today=None):
        return self.open().filter(due_on__lt=today or business_today())


class ActionItem(models.Model):
    """A follow-up we promised, with an owner and a due date."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="action_items",
        verbose_name=_("account"),
    )
    visit = models.ForeignKey(
        Visit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("from visit"),
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [
            models.Index(fields=["owner", "due_on"]),
            models.Index(fields=["account", "due_on"]),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.visit_id and self.account_id and self.visit.account_id != self.account_id:
            raise ValidationError({"visit": _("The visit belongs to another account.")})

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_on is not None and self.due_on < business_today()


class DigestStatus(models.TextChoices):
    READY = "ready", _("Ready to send")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (will be retried)")
    EMPTY = "empty", _("Nothing to report")


class DigestDelivery(models.Model):
    """One person's weekly digest email for one ISO week: the message is data first.

    The row is written (rendered, in the recipient's language) before anything is
    sent; a task then sends it by id after the transaction commits, moving it
    ready → sending → sent. The unique (user, week) key is what makes a re-run or
    a retried task send nothing twice. A week with nothing to report is recorded
    as `empty` so it is not re-examined.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digest_deliveries",
        verbose_name=_("recipient"),
    )
    week = models.CharField(
        _("ISO week"), max_length=8, help_text=_("Like 2026-W48: the week the digest opens.")
    )
    language = models.CharField(_("language"), max_length=10)
    to_email = models.EmailField(_("sent to"))
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField(_("plain-text body"))
    body_html = models.TextField(_("HTML body"))
    status = models.CharField(
        _("status"), max_length=10, choices=DigestStatus.choices, default=DigestStatus.READY
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-week", "user_id"]
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="digest_one_per_user_week"),
            models.CheckConstraint(
                name="digest_status_valid",
                condition=Q(status__in=[s.value for s in DigestStatus]),
            ),
            models.CheckConstraint(
                name="digest_week_format", condition=Q(week__regex=r"^[0-9]{4}-W[0-9]{2}$")
            ),
        ]
        indexes = [models.Index(fields=["week", "status"])]

    def __str__(self) -> str:
        return f"{self.week} · {self.user} · {self.get_status_display()}"
