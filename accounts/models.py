"""Customer enterprises, their stakeholders, the account team and integration projects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from verticals.models import VERTICAL_ROLES


class Stage(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ONBOARDING = "onboarding", _("Onboarding")
    ADOPTING = "adopting", _("Adopting")
    EXPANDING = "expanding", _("Expanding")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")


class Region(models.TextChoices):
    """The sales regions in use, stored by their English name (the import files' values).

    `Account.region` stays free text (a file may bring a region not listed here, shown as
    written); these give the known ones a translatable label.
    """

    EAST_CHINA = "East China", _("East China")
    SOUTH_CHINA = "South China", _("South China")
    NORTH_CHINA = "North China", _("North China")
    CENTRAL_CHINA = "Central China", _("Central China")
    WEST_CHINA = "West China", _("West China")
    SOUTHEAST = "Southeast", _("Southeast")
    SOUTHWEST = "Southwest", _("Southwest")
    NORTHWEST = "Northwest", _("Northwest")
    NORTHEAST = "Northeast", _("Northeast")


def region_label(region: str) -> str:
    """A region as people read it: its translated label when known, else as stored."""
    try:
        return str(Region(region).label)
    except ValueError:
        return region


class SizeTier(models.TextChoices):
    """Headcount tiers; each tier starts at its lower bound (see SIZE_TIER_BOUNDS)."""

    SMALL = "lt2k", _("Under 2,000")
    MID = "2k", _("2,000+")
    LARGE = "10k", _("10,000+")
    XLARGE = "100k", _("100,000+")
    GIANT = "1m", _("1,000,000+")


# (tier, lowest headcount, highest headcount exclusive or None)
SIZE_TIER_BOUNDS = [
    (SizeTier.SMALL, 0, 2_000),
    (SizeTier.MID, 2_000, 10_000),
    (SizeTier.LARGE, 10_000, 100_000),
    (SizeTier.XLARGE, 100_000, 1_000_000),
    (SizeTier.GIANT, 1_000_000, None),
]


def size_tier_for(headcount: int | None) -> str | None:
    if headcount is None:
        return None
    for tier, low, high in SIZE_TIER_BOUNDS:
        if headcount >= low and (high is None or headcount < high):
            return tier.value
    return None


def size_tier_filter(tier: str) -> Q:
    """The headcount condition of a size tier, for filtering querysets."""
    for candidate, low, high in SIZE_TIER_BOUNDS:
        if candidate.value == tier:
            condition = Q(headcount__gte=low)
            if high is not None:
                condition &= Q(headcount__lt=high)
            return condition
    raise ValueError(f"unknown size tier {tier!r}")


class Account(models.Model):
    external_id = models.CharField(
        _("external id"),
        max_length=64,
        unique=True,
        help_text=_("The customer's stable id on the platform; feeds and the API use it."),
    )
    name = models.CharField(_("name"), max_length=200)
    local_name = models.CharField(_("local name"), max_length=200, blank=True)
    vertical = models.ForeignKey(
        "verticals.Vertical",
        on_delete=models.PROTECT,
        related_name="accounts",
        verbose_name=_("vertical"),
    )
    headcount = models.PositiveIntegerField(_("headcount"), null=True, blank=True)
    region = models.CharField(_("region"), max_length=80, blank=True, db_index=True)
    dedicated_deployment = models.BooleanField(_("dedicated deployment"), default=False)
    cloud_customer = models.BooleanField(_("also a cloud customer"), default=False)
    stage = models.CharField(
        _("pipeline stage"), max_length=20, choices=Stage.choices, default=Stage.PROSPECT
    )
    owner_csm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_accounts",
        verbose_name=_("owner CSM"),
    )
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                name="account_stage_valid", condition=Q(stage__in=[s.value for s in Stage])
            ),
            models.CheckConstraint(
                name="account_external_id_not_blank", condition=~Q(external_id="")
            ),
        ]
        indexes = [
            models.Index(fields=["vertical", "stage"]),
            models.Index(fields=["owner_csm"]),
            models.Index(fields=["headcount"]),
            models.Index(fields=["renewal_date"]),
        ]

    def __str__(self) -> str:
        if self.local_name and self.local_name != self.name:
            return f"{self.name} ({self.local_name})"
        return self.name

    @property
    def region_label(self) -> str:
        return region_label(self.region)

    @property
    def size_tier(self) -> str | None:
        return size_tier_for(self.headcount)

    def get_size_tier_display(self) -> str:
        tier = self.size_tier
        return SizeTier(tier).label if tier else "—"


class ContactRole(models.TextChoices):
    EXECUTIVE_SPONSOR = "executive_sponsor", _("Executive sponsor")
    DECISION_MAKER = "decision_maker", _("Decision maker")
    CHAMPION = "champion", _("Champion")
    IT_OWNER = "it_owner", _("IT owner")
    USER = "user", _("User")


class Contact(models.Model):
    """A stakeholder on the customer's side."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("title"), max_length=120, blank=True)
    role = models.CharField(
        _("role"), max_length=20, choices=ContactRole.choices, default=ContactRole.USER
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["account", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.CheckConstraint(
                name="contact_role_valid", condition=Q(role__in=[r.value for r in ContactRole])
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.name} · {self.account.name}"
            if self.title == ""
            else f"{self.name} ({self.title})"
        )


class AccountTeamMember(models.Model):
    """One of our people serving an account, with the role they play for it."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="team", verbose_name=_("account")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="account_teams",
        verbose_name=_("person"),
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=[(r.value, r.label) for r in VERTICAL_ROLES],
    )

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team")
        constraints = [
            models.UniqueConstraint(fields=["account", "user", "role"], name="account_team_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class IntegrationStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    LIVE = "live", _("Live")
    PAUSED = "paused", _("Paused")


class IntegrationProject(models.Model):
    """Work the team tracks to connect a customer's legacy system (利旧) to the platform."""

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="integration_projects",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=200)
    connector = models.ForeignKey(
        "metrics.Connector",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("connector"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=IntegrationStatus.choices,
        default=IntegrationStatus.PLANNED,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="integration_projects",
        verbose_name=_("owner"),
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    live_on = models.DateField(_("live on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["account", "name"]
        verbose_name = _("integration project")
        verbose_name_plural = _("integration projects")
        constraints = [
            models.CheckConstraint(
                name="integration_status_valid",
                condition=Q(status__in=[s.value for s in IntegrationStatus]),
            ),
            models.CheckConstraint(
                name="integration_live_after_start",
                condition=Q(live_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(live_on__gte=models.F("started_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.name
