"""Industry verticals (行业纵队) and the people who work in them, with their role."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TECH = "tech", _("Tech")
    BD = "bd", _("BD")
    SA = "sa", _("Solution architect")
    CSM = "csm", _("Customer success manager")
    LEAD = "lead", _("Lead")
    COO = "coo", _("COO")
    API_CLIENT = "api_client", _("API client")


# A vertical is fully staffed when each of these has at least one person.
WORKING_ROLES = (Role.TECH, Role.BD, Role.SA, Role.CSM)
VERTICAL_ROLES = (*WORKING_ROLES, Role.LEAD)
# Company-wide roles are held without a vertical and see every vertical.
COMPANY_ROLES = (Role.COO, Role.API_CLIENT)
# Roles whose holders work in the admin.
STAFF_ROLES = (*VERTICAL_ROLES, Role.COO)

# Permission group of each role; created by migrations.
ROLE_GROUPS = {
    Role.TECH: "Tech",
    Role.BD: "BD",
    Role.SA: "SA",
    Role.CSM: "CSM",
    Role.LEAD: "Lead",
    Role.COO: "COO",
    Role.API_CLIENT: "API client",
}


class Vertical(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    local_name = models.CharField(_("local name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("vertical")
        verbose_name_plural = _("verticals")

    def __str__(self) -> str:
        return f"{self.name} / {self.local_name}" if self.local_name else self.name


class Membership(models.Model):
    """A person's role, in a vertical (working roles, lead) or company-wide (coo, api_client)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    vertical = models.ForeignKey(
        Vertical,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("vertical"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    joined_on = models.DateField(_("joined on"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_role_valid", condition=Q(role__in=[r.value for r in Role])
            ),
            # Vertical roles need a vertical; company-wide roles must not have one.
            models.CheckConstraint(
                name="membership_vertical_matches_role",
                condition=(
                    Q(role__in=[r.value for r in VERTICAL_ROLES], vertical__isnull=False)
                    | Q(role__in=[r.value for r in COMPANY_ROLES], vertical__isnull=True)
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "vertical", "role"], name="membership_unique_in_vertical"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(vertical__isnull=True),
                name="membership_unique_company_role",
            ),
        ]
        indexes = [models.Index(fields=["vertical", "role"])]

    def __str__(self) -> str:
        where = self.vertical.code if self.vertical_id else _("company")
        return f"{self.user} · {self.get_role_display()} · {where}"


def _default_token_expiry():
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=365)


class APIToken(models.Model):
    """A key a system uses for the REST API (`Authorization: Token KEY`), acting as its user.

    Only a SHA-256 hash of the key is stored: a leaked database does not leak
    usable keys. The first characters of the key (`prefix`) are kept in clear so
    people can tell keys apart in the admin. Read-only unless `can_write`; it
    stops working when it expires or is revoked.
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    prefix = models.CharField(_("key prefix"), max_length=PREFIX_LENGTH, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    can_write = models.BooleanField(
        _("may write"),
        default=False,
        help_text=_("Allows ingesting usage feeds and logging visits; read-only otherwise."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), default=_default_token_expiry)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… · {self.user}"

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and self.expires_at > timezone.now()


class UserPreference(models.Model):
    """What a person chose for themselves, kept with them rather than in one browser's cookie.

    `language` is set when they pick a language in the switcher and applied on every request
    once they are logged in (verticals.middleware.PersonLanguageMiddleware); empty means the
    browser decides.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="preference",
        verbose_name=_("user"),
    )
    # One of settings.LANGUAGES (checked where it is set); not choices, so adding a
    # language needs no migration.
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.user} · {self.language or '-'}"
