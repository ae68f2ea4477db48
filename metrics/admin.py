from django.contrib import admin

from . import services
from .models import App, Connector, MetricPolicy, PendingRecompute


@admin.register(App)
class AppAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "registered_by_feed"]
    list_filter = ["category", "registered_by_feed"]
    search_fields = ["code", "name"]


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "system_kind", "vendor", "registered_by_feed"]
    list_filter = ["system_kind", "vendor", "registered_by_feed"]
    search_fields = ["code", "name", "vendor"]


@admin.register(MetricPolicy)
class MetricPolicyAdmin(admin.ModelAdmin):
    """Each save stores a new version; older versions stay as the policy's history."""

    list_display = [
        "id",
        "created_at",
        "created_by",
        "window_days",
        "dag_min_minutes",
        "dag_min_apps",
        "note",
    ]
    readonly_fields = ["created_at", "created_by"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # A new version, and a recompute of the current window sent when it commits.
        services.save_policy_version(policy=obj, user=request.user)


@admin.register(PendingRecompute)
class PendingRecomputeAdmin(admin.ModelAdmin):
    """Recomputes owed to the daily status; a row disappears when its task has run."""

    list_display = ["id", "reason", "start", "end", "created_at", "claimed_until", "attempts"]
    list_filter = ["reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
