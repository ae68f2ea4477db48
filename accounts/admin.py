"""Accounts in the admin: scoped to the user's verticals, audited, importable.

visits.admin re-registers AccountAdmin with the last visit, "mine" and "log a visit".
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from verticals.admin_scoping import RoleImportExportMixin, VerticalScopedAdmin, person_name

from .history import account_history
from .models import (
    Account,
    AccountTeamMember,
    Contact,
    IntegrationProject,
    SizeTier,
    region_label,
    size_tier_filter,
)
from .resources import AccountResource, ContactResource


class SizeTierFilter(admin.SimpleListFilter):
    title = _("size tier")
    parameter_name = "size_tier"

    def lookups(self, request, model_admin):
        return SizeTier.choices

    def queryset(self, request, queryset):
        if self.value() in SizeTier.values:
            return queryset.filter(size_tier_filter(self.value()))
        return queryset


class RegionFilter(admin.SimpleListFilter):
    """The regions of the listed accounts, by their translated names."""

    title = _("region")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        regions = (
            model_admin.get_queryset(request)
            .exclude(region="")
            .order_by("region")
            .values_list("region", flat=True)
            .distinct()
        )
        return [(region, region_label(region)) for region in regions]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(region=self.value())
        return queryset


class ContactInline(VerticalScopedAdmin, admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "role", "email", "phone"]


class TeamInline(VerticalScopedAdmin, admin.TabularInline):
    model = AccountTeamMember
    extra = 0
    autocomplete_fields = ["user"]


class IntegrationProjectInline(VerticalScopedAdmin, admin.TabularInline):
    model = IntegrationProject
    extra = 0
    fields = ["name", "connector", "status", "owner", "started_on", "live_on"]
    autocomplete_fields = ["connector", "owner"]


@admin.register(Account)
class AccountAdmin(VerticalScopedAdmin, RoleImportExportMixin, SimpleHistoryAdmin):
    vertical_field = "vertical_id"
    resource_classes = [AccountResource]
    list_display = [
        "name",
        "local_name",
        "external_id",
        "vertical",
        "stage",
        "headcount",
        "region_name",
        "owner_name",
        "renewal_date",
    ]
    list_filter = [
        ("vertical", admin.RelatedOnlyFieldListFilter),
        "stage",
        SizeTierFilter,
        "dedicated_deployment",
        "cloud_customer",
        RegionFilter,
    ]
    search_fields = ["name", "local_name", "external_id"]
    autocomplete_fields = ["vertical", "owner_csm"]
    list_select_related = ["vertical", "owner_csm"]
    date_hierarchy = "renewal_date"
    inlines = [ContactInline, TeamInline, IntegrationProjectInline]
    fieldsets = [
        (None, {"fields": ["external_id", "name", "local_name", "vertical", "stage", "owner_csm"]}),
        (
            _("Size and deployment"),
            {
                "fields": [
                    "headcount",
                    "region",
                    "dedicated_deployment",
                    "cloud_customer",
                    "renewal_date",
                ]
            },
        ),
    ]

    @admin.display(description=_("owner CSM"), ordering="owner_csm__first_name")
    def owner_name(self, obj):
        return person_name(obj.owner_csm) if obj.owner_csm_id else "-"

    @admin.display(description=_("region"), ordering="region")
    def region_name(self, obj):
        return obj.region_label

    def get_deleted_objects(self, objs, request):
        # An account with feed rows or history is closed, never cascaded away (everyone,
        # the COO and superusers too): each such account becomes a "protected" line, which
        # makes the admin refuse both the delete page and the bulk "Delete selected" action.
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        accounts = list(objs)
        history = account_history(a.pk for a in accounts)
        for account in accounts:
            if account.pk in history:
                protected.append(
                    _(
                        "%(account)s has history (%(what)s): an account with history is not "
                        "deleted — set its stage to “churned” instead."
                    )
                    % {"account": account, "what": ", ".join(history[account.pk])}
                )
        return deleted, model_count, perms_needed, protected


@admin.register(Contact)
class ContactAdmin(VerticalScopedAdmin, RoleImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [ContactResource]
    list_display = ["name", "title", "role", "account", "email", "phone"]
    list_filter = ["role", ("account__vertical", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "title", "email", "account__name", "account__local_name"]
    autocomplete_fields = ["account"]
    list_select_related = ["account"]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The visit form's customer attendees: offer the contacts of the account being visited
        # (visits/js/attendees.js adds the chosen account to the autocomplete request).
        account = request.GET.get("account", "")
        if (
            request.GET.get("field_name") == "contact_attendees"
            and request.GET.get("model_name") == "visit"
            and account.isdigit()
        ):
            queryset = queryset.filter(account_id=int(account))
        return queryset, may_have_duplicates


@admin.register(AccountTeamMember)
class AccountTeamMemberAdmin(VerticalScopedAdmin, admin.ModelAdmin):
    list_display = ["account", "user", "role"]
    list_filter = ["role", ("account__vertical", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["account__name", "user__username", "user__first_name"]
    autocomplete_fields = ["account", "user"]
    list_select_related = ["account", "user"]


@admin.register(IntegrationProject)
class IntegrationProjectAdmin(VerticalScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "account", "connector", "status", "owner", "started_on", "live_on"]
    list_filter = [
        "status",
        "connector__system_kind",
        ("account__vertical", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "account__name", "account__local_name"]
    autocomplete_fields = ["account", "connector", "owner"]
    list_select_related = ["account", "connector", "owner"]
    date_hierarchy = "started_on"
