from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from verticals.admin_scoping import VerticalScopedAdmin

from .models import (
    Account,
    AccountTeamMember,
    Contact,
    IntegrationProject,
    SizeTier,
    size_tier_filter,
)


class SizeTierFilter(admin.SimpleListFilter):
    title = _("size tier")
    parameter_name = "size_tier"

    def lookups(self, request, model_admin):
        return SizeTier.choices

    def queryset(self, request, queryset):
        if self.value() in SizeTier.values:
            return queryset.filter(size_tier_filter(self.value()))
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
class AccountAdmin(VerticalScopedAdmin, SimpleHistoryAdmin):
    vertical_field = "vertical_id"
    list_display = [
        "name",
        "local_name",
        "external_id",
        "vertical",
        "stage",
        "headcount",
        "region",
        "owner_csm",
        "renewal_date",
    ]
    list_filter = [
        "vertical",
        "stage",
        SizeTierFilter,
        "dedicated_deployment",
        "cloud_customer",
        "region",
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


@admin.register(Contact)
class ContactAdmin(VerticalScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "title", "role", "account", "email", "phone"]
    list_filter = ["role", "account__vertical"]
    search_fields = ["name", "title", "email", "account__name", "account__local_name"]
    autocomplete_fields = ["account"]
    list_select_related = ["account"]


@admin.register(AccountTeamMember)
class AccountTeamMemberAdmin(VerticalScopedAdmin, admin.ModelAdmin):
    list_display = ["account", "user", "role"]
    list_filter = ["role", "account__vertical"]
    search_fields = ["account__name", "user__username", "user__first_name"]
    autocomplete_fields = ["account", "user"]
    list_select_related = ["account", "user"]


@admin.register(IntegrationProject)
class IntegrationProjectAdmin(VerticalScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "account", "connector", "status", "owner", "started_on", "live_on"]
    list_filter = ["status", "connector__system_kind", "account__vertical"]
    search_fields = ["name", "account__name", "account__local_name"]
    autocomplete_fields = ["account", "connector", "owner"]
    list_select_related = ["account", "connector", "owner"]
    date_hierarchy = "started_on"
