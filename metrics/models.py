"""Catalogs, the two daily usage feeds, the metric policy and the computed daily status.

The feed and status tables are keyed by their natural key only (a composite
primary key, no surrogate id) and their account/app/connector references carry
no database foreign-key trigger: the ingest validates every reference in bulk
before it writes, because a surrogate id plus FK checks cost several times the
bare keyed upsert. Deleting an account still removes its rows through Django's
on_delete.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The most people a feed row may count (ten times the largest enterprises served).
FEED_MAX_PEOPLE = 10_000_000
# The largest value of each feed column. Generous for those enterprises, and small enough that
# every sum the engine takes fits a 64-bit integer (SQLite's, PostgreSQL's BIGINT columns of the
# rollup and status): a day's minutes over all apps up to ~640 million apps; a window's records
# (366 days at most) up to ~250,000 connectors.
FEED_NUMBER_BOUNDS = {
    "minutes": 1440 * FEED_MAX_PEOPLE,
    "active_users": FEED_MAX_PEOPLE,
    "records": 10**11,
}


class AppCategory(models.TextChoices):
    COMMUNICATION = "communication", _("Communication")
    COLLABORATION = "collaboration", _("Collaboration")
    WORKFLOW = "workflow", _("Workflow")
    LOWCODE = "lowcode", _("Low-code")
    ANALYTICS = "analytics", _("Analytics")
    OTHER = "other", _("Other")


class SystemKind(models.TextChoices):
    ERP = "erp", _("ERP")
    CRM = "crm", _("CRM")
    MES = "mes", _("MES")
    SCM = "scm", _("SCM")
    HRM = "hrm", _("HRM")
    FINANCE = "finance", _("Finance")
    MAIL = "mail", _("Mail")
    OTHER = "other", _("Other")


class App(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(
        _("category"), max_length=20, choices=AppCategory.choices, default=AppCategory.OTHER
    )
    registered_by_feed = models.BooleanField(
        _("registered by a feed"),
        default=False,
        help_text=_(
            "Created on the fly because a feed named an unknown code; review its category."
        ),
    )
    confirmed = models.BooleanField(
        _("confirmed"),
        default=True,
        help_text=_(
            "Unticked for a code a feed registered: confirm it, or merge it into the right code."
        ),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("app")
        verbose_name_plural = _("apps")
        constraints = [
            models.CheckConstraint(
                name="app_category_valid", condition=Q(category__in=[c.value for c in AppCategory])
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Connector(models.Model):
    """A connector that brings a customer's legacy system (ERP, CRM, MES…) onto the platform."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    system_kind = models.CharField(
        _("system kind"), max_length=20, choices=SystemKind.choices, default=SystemKind.OTHER
    )
    vendor = models.CharField(_("vendor"), max_length=80, blank=True)
    registered_by_feed = models.BooleanField(_("registered by a feed"), default=False)
    confirmed = models.BooleanField(
        _("confirmed"),
        default=True,
        help_text=_(
            "Unticked for a code a feed registered: confirm it, or merge it into the right code."
        ),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")
        constraints = [
            models.CheckConstraint(
                name="connector_kind_valid",
                condition=Q(system_kind__in=[k.value for k in SystemKind]),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class AppUsage(models.Model):
    """App usage feed: one row per (account, day, app)."""

    pk = models.CompositePrimaryKey("account_id", "day", "app_id")
    # No index of its own: the primary key starts with account_id.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    day = models.DateField(_("date"))
    # No index: each one costs the ingest ~20% (bench/); only deleting an app looks rows up by it.
    app = models.ForeignKey(
        App, on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="+"
    )
    minutes = models.BigIntegerField(_("minutes"))
    active_users = models.BigIntegerField(_("active users"))

    class Meta:
        verbose_name = _("app usage")
        verbose_name_plural = _("app usage")
        constraints = [
            models.CheckConstraint(
                name="app_usage_minutes_non_negative", condition=Q(minutes__gte=0)
            ),
            models.CheckConstraint(
                name="app_usage_active_users_non_negative", condition=Q(active_users__gte=0)
            ),
        ]
        # Finds one day's rows (the rollup). BRIN on PostgreSQL (migration 0007: the rows
        # are loaded a day at a time, so they lie in day order), a B-tree on SQLite.
        indexes = [models.Index(fields=["day"], name="app_usage_day")]


class ConnectorUsage(models.Model):
    """Connector usage feed: one row per (account, day, connector)."""

    pk = models.CompositePrimaryKey("account_id", "day", "connector_id")
    # No index of its own: the primary key starts with account_id.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    day = models.DateField(_("date"))
    # No index, as AppUsage.app.
    connector = models.ForeignKey(
        Connector, on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="+"
    )
    records = models.BigIntegerField(_("records"))
    # When the row was written or its records last changed (the ingest and a code merge stamp
    # it; the database's default stamps any other insert): a stored status whose window holds
    # a row changed after it no longer adds up, and the next day's connectors are read whole
    # (metrics.window).
    changed_at = models.DateTimeField(
        null=True, default=timezone.now, db_default=Now(), editable=False
    )

    class Meta:
        verbose_name = _("connector usage")
        verbose_name_plural = _("connector usage")
        constraints = [
            models.CheckConstraint(
                name="connector_usage_records_non_negative", condition=Q(records__gte=0)
            ),
        ]
        # BRIN on PostgreSQL, as AppUsage's.
        indexes = [
            models.Index(fields=["day"], name="connector_usage_day"),
            # The rows of a window changed since a time (metrics.window), as the rollup's.
            models.Index(fields=["day", "changed_at"], name="connector_usage_changed"),
        ]


class AccountDayUsage(models.Model):
    """Per-(account, day) rollup of the app feed, rebuilt for each ingested day.

    The 30-day window is then computed over this table (one row per account and
    day) instead of the raw feed (one row per app): ~10x fewer rows to read.
    """

    pk = models.CompositePrimaryKey("account_id", "day")
    # No index of its own: the primary key starts with account_id.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    day = models.DateField()
    minutes = models.BigIntegerField()
    apps_used = models.IntegerField()
    analytics_minutes = models.BigIntegerField()
    # When this row's values last changed (the engine sets it, never to an unchanged row): a
    # status computed before it, whose window holds this day, is stale (metrics.compute).
    changed_at = models.DateTimeField(null=True)

    class Meta:
        # One day's rows, and those of a window changed since a time (metrics.window).
        indexes = [models.Index(fields=["day", "changed_at"], name="account_day_usage_changed")]


class MetricPolicyManager(models.Manager):
    def current(self) -> MetricPolicy:
        """The policy in force: the newest saved version, else an unsaved one of the field defaults.

        The one rule every caller uses; a migration saves the first version, so the
        unsaved default only shows on a database emptied by hand.
        """
        policy = self.order_by("-id").first()
        return policy if policy is not None else self.model()


class MetricPolicy(models.Model):
    """The metric definitions (docs/metrics.md) and health weights.

    Append-only: every edit saves a new row, so the table is the policy's
    history and each computed status names the version that produced it. The
    current policy is the newest row.
    """

    # Metric definitions (docs/metrics.md's table).
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    dag_min_minutes = models.PositiveIntegerField(_("DAG: minimum minutes a day"), default=60)
    dag_min_apps = models.PositiveSmallIntegerField(
        _("DAG: minimum distinct apps a day"), default=3, validators=[MinValueValidator(1)]
    )
    integrated_min_connectors = models.PositiveSmallIntegerField(
        _("integrated: minimum connectors"), default=2, validators=[MinValueValidator(1)]
    )
    integrated_min_records = models.PositiveBigIntegerField(
        _("integrated: minimum records in the window"), default=10_000
    )
    deep_min_dag_rate = models.FloatField(
        _("deep: minimum DAG rate"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    deep_min_analytics_days = models.PositiveSmallIntegerField(
        _("deep: minimum analytics days"), default=4
    )

    # Health score: the points each component can give (they add up to 100).
    weight_dag_rate = models.PositiveSmallIntegerField(_("weight: DAG rate"), default=30)
    weight_integration = models.PositiveSmallIntegerField(
        _("weight: deep-integration level"), default=30
    )
    weight_breadth = models.PositiveSmallIntegerField(_("weight: adoption breadth"), default=15)
    weight_recency = models.PositiveSmallIntegerField(_("weight: visit recency"), default=15)
    weight_requirements = models.PositiveSmallIntegerField(
        _("weight: requirements on time"), default=10
    )
    breadth_target_apps = models.PositiveSmallIntegerField(
        _("breadth: apps in a day for full points"), default=6, validators=[MinValueValidator(1)]
    )
    visit_fresh_days = models.PositiveSmallIntegerField(
        _("recency: full points up to (days since visit)"), default=30
    )
    visit_stale_days = models.PositiveSmallIntegerField(
        _("recency: no points from (days since visit)"), default=120
    )
    overdue_requirements_zero = models.PositiveSmallIntegerField(
        _("requirements: overdue count that takes all points"),
        default=3,
        validators=[MinValueValidator(1)],
    )
    green_min_score = models.PositiveSmallIntegerField(
        _("green from score"), default=70, validators=[MaxValueValidator(100)]
    )
    yellow_min_score = models.PositiveSmallIntegerField(
        _("yellow from score"), default=40, validators=[MaxValueValidator(100)]
    )
    requirement_sla_hours = models.PositiveSmallIntegerField(
        _("requirement first-response SLA (hours)"), default=24, validators=[MinValueValidator(1)]
    )

    # The executive's visit plan (reports.planner): the points each reason can give a
    # visit; the defaults add up to 100 so a score reads as "out of 100".
    plan_weight_red = models.PositiveSmallIntegerField(
        _("visit plan: health red (half for yellow or falling health)"), default=20
    )
    plan_weight_dag_drop = models.PositiveSmallIntegerField(
        _("visit plan: DAG rate fell over 4 weeks (full at a halving)"), default=20
    )
    plan_weight_overdue = models.PositiveSmallIntegerField(
        _("visit plan: overdue requirements"), default=15
    )
    plan_weight_renewal = models.PositiveSmallIntegerField(
        _("visit plan: renewal coming up"), default=10
    )
    plan_renewal_days = models.PositiveSmallIntegerField(
        _("visit plan: renewal counts from (days before)"),
        default=90,
        validators=[MinValueValidator(1)],
    )
    plan_weight_size = models.PositiveSmallIntegerField(
        _("visit plan: size tier (full at 1,000,000+)"), default=10
    )
    plan_weight_near_deep = models.PositiveSmallIntegerField(
        _("visit plan: one criterion short of deep integration"), default=10
    )
    plan_weight_staleness = models.PositiveSmallIntegerField(
        _("visit plan: days since the last visit by anyone"), default=10
    )
    plan_weight_executive_staleness = models.PositiveSmallIntegerField(
        _("visit plan: days since the last executive visit"), default=5
    )

    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved by"),
    )
    note = models.CharField(_("reason for the change"), max_length=200, blank=True)

    objects = MetricPolicyManager()

    class Meta:
        ordering = ["-id"]
        get_latest_by = "id"
        verbose_name = _("metric policy")
        verbose_name_plural = _("metric policy versions")
        constraints = [
            models.CheckConstraint(
                name="policy_dag_rate_fraction",
                condition=Q(deep_min_dag_rate__gte=0) & Q(deep_min_dag_rate__lte=1),
            ),
            models.CheckConstraint(name="policy_window_positive", condition=Q(window_days__gte=1)),
            models.CheckConstraint(
                name="policy_colours_ordered",
                condition=Q(green_min_score__gte=models.F("yellow_min_score")),
            ),
            models.CheckConstraint(
                name="policy_recency_ordered",
                condition=Q(visit_stale_days__gt=models.F("visit_fresh_days")),
            ),
        ]

    def __str__(self) -> str:
        return (
            # The business time zone, as the admin's "saved at" shows it.
            f"{_('Policy')} #{self.pk} "
            f"({timezone.localtime(self.created_at, timezone.get_default_timezone()):%Y-%m-%d %H:%M})"
            if self.created_at
            else str(_("Policy"))
        )

    # The settings docs/metrics.md names, in its order; the what-if API accepts exactly these.
    DEFINITION_FIELDS = (
        "window_days",
        "dag_min_minutes",
        "dag_min_apps",
        "integrated_min_connectors",
        "integrated_min_records",
        "deep_min_dag_rate",
        "deep_min_analytics_days",
    )
    HEALTH_FIELDS = (
        "weight_dag_rate",
        "weight_integration",
        "weight_breadth",
        "weight_recency",
        "weight_requirements",
        "breadth_target_apps",
        "visit_fresh_days",
        "visit_stale_days",
        "overdue_requirements_zero",
        "green_min_score",
        "yellow_min_score",
        "requirement_sla_hours",
    )
    PLAN_FIELDS = (
        "plan_weight_red",
        "plan_weight_dag_drop",
        "plan_weight_overdue",
        "plan_weight_renewal",
        "plan_renewal_days",
        "plan_weight_size",
        "plan_weight_near_deep",
        "plan_weight_staleness",
        "plan_weight_executive_staleness",
    )

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        total = sum(
            getattr(self, f) or 0
            for f in (
                "weight_dag_rate",
                "weight_integration",
                "weight_breadth",
                "weight_recency",
                "weight_requirements",
            )
        )
        if total != 100:
            errors["weight_requirements"] = _(
                "The five weights must add up to 100 (they add up to %(total)s)."
            ) % {"total": total}
        if (
            self.green_min_score is not None
            and self.yellow_min_score is not None
            and self.green_min_score < self.yellow_min_score
        ):
            errors["green_min_score"] = _("Green must start at or above yellow.")
        if (
            self.visit_stale_days is not None
            and self.visit_fresh_days is not None
            and self.visit_stale_days <= self.visit_fresh_days
        ):
            errors["visit_stale_days"] = _("Must be more days than the full-points limit.")
        if errors:
            raise ValidationError(errors)


class HealthColor(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class IntegrationLevel(models.IntegerChoices):
    NONE = 0, _("none")
    CONNECTED = 1, _("connected")
    INTEGRATED = 2, _("integrated")
    DEEP = 3, _("deep")


class AccountDailyStatus(models.Model):
    """An account's computed status on a day, under the policy version that computed it."""

    pk = models.CompositePrimaryKey("account_id", "day")
    # No index of its own: the primary key starts with account_id.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        # Lists join one day's status to each account (metrics.api.accounts.views.with_health).
        related_name="daily_statuses",
    )
    day = models.DateField(_("date"))
    # No index: every day writes 100,000s of rows, and only deleting a policy version (never
    # done: the history is append-only) would look rows up by it.
    policy = models.ForeignKey(
        MetricPolicy,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # That day.
    minutes = models.BigIntegerField(default=0)
    apps_used = models.IntegerField(default=0)
    is_dag = models.BooleanField(default=False)
    # The window ending that day.
    dag_days = models.IntegerField(default=0)
    dag_rate = models.FloatField(default=0.0)
    connectors = models.IntegerField(default=0)
    records = models.BigIntegerField(default=0)
    analytics_days = models.IntegerField(default=0)
    max_apps_used = models.IntegerField(default=0)
    # The last day of the window that reached max_apps_used (NULL when it is 0): the next day
    # carries the maximum while this day is still in its window (metrics.status_sql).
    max_apps_day = models.DateField(null=True, editable=False)
    deep_integration_level = models.SmallIntegerField(choices=IntegrationLevel.choices, default=0)
    # Health inputs that come from visits and requirements.
    days_since_visit = models.IntegerField(null=True)
    overdue_requirements = models.IntegerField(default=0)
    # Health: each component's points, their sum and its colour.
    points_dag_rate = models.FloatField(default=0.0)
    points_integration = models.FloatField(default=0.0)
    points_breadth = models.FloatField(default=0.0)
    points_recency = models.FloatField(default=0.0)
    points_requirements = models.FloatField(default=0.0)
    score = models.SmallIntegerField(default=0)
    color = models.CharField(max_length=6, choices=HealthColor.choices, default=HealthColor.RED)
    # When the engine last wrote this row: the next day's incremental window trusts it only if
    # no rollup row of its window changed after it (metrics.window).
    computed_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        verbose_name = _("account daily status")
        verbose_name_plural = _("account daily status")
        constraints = [
            models.CheckConstraint(
                name="status_level_range",
                condition=Q(deep_integration_level__gte=0, deep_integration_level__lte=3),
            ),
            models.CheckConstraint(
                name="status_score_range", condition=Q(score__gte=0, score__lte=100)
            ),
        ]
        # Each index costs every day's write of every account's row (bench/): a day's rows,
        # by level too, are found through the (day, color, score) index.
        indexes = [
            # A colour's accounts of a day in score order: the API's "worst/best first" pages
            # walk it and stop after a page.
            models.Index(fields=["day", "color", "score"], name="status_day_color_score"),
            # A day's accounts in score order, ties by account, whatever their colour: the lists
            # sorted by score (a vertical's page, the accounts API) walk it and stop after a page.
            models.Index(fields=["day", "score", "account"], name="status_day_score"),
        ]


class PendingRecompute(models.Model):
    """A recompute owed to the daily status: durable, so no queued message can lose it.

    Written in the same transaction as the change that needs it (an ingest, a
    policy version); a task claims a row by setting a lease (`claimed_until`),
    recomputes, and deletes the row. A row whose task never ran or died is
    found again by the periodic sweep once its lease has expired. A run that
    fails keeps the row with its error, and the sweep tries it again from
    `next_attempt_at` on (backoff), while the other rows go on.
    `account_ids` null means every account; `account_id_from`/`_to` bound a
    chunk of every account (inclusive).
    """

    class Reason(models.TextChoices):
        INGEST = "ingest", _("Feed ingest")
        POLICY = "policy", _("Policy change")
        NIGHTLY = "nightly", _("Nightly")
        MANUAL = "manual", _("Manual")

    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    account_ids = models.JSONField(_("accounts (ids)"), null=True, blank=True)
    account_id_from = models.BigIntegerField(null=True, blank=True)
    account_id_to = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # A failed run: what went wrong, and when the sweep tries again (backoff).
    last_error = models.TextField(_("last error"), blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("pending recompute")
        verbose_name_plural = _("pending recomputes")
        constraints = [
            models.CheckConstraint(
                name="pending_recompute_range", condition=Q(end__gte=F("start"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.start}..{self.end}"
