from django.contrib import admin

from .models import App, Connector, MetricPolicy


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
        obj.pk = None
        obj._state.adding = True
        obj.created_by = request.user
        obj.save()
