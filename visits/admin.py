from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from verticals.admin_scoping import VerticalScopedAdmin

from .models import ActionItem, Requirement, Visit


class RequirementInline(VerticalScopedAdmin, admin.StackedInline):
    model = Requirement
    extra = 1
    fields = [
        ("title", "category", "priority", "status"),
        "description",
        ("owner", "raised_at", "first_response_at", "resolved_at"),
    ]
    autocomplete_fields = ["owner"]


class ActionItemInline(VerticalScopedAdmin, admin.TabularInline):
    model = ActionItem
    extra = 1
    fields = ["title", "owner", "due_on", "done_at"]
    autocomplete_fields = ["owner"]


@admin.register(Visit)
class VisitAdmin(VerticalScopedAdmin, SimpleHistoryAdmin):
    list_display = ["visited_on", "account", "visit_type", "author", "sentiment", "purpose"]
    list_filter = ["visit_type", "sentiment", "account__vertical"]
    search_fields = ["account__name", "account__local_name", "purpose", "summary"]
    autocomplete_fields = ["account", "author", "staff_attendees", "contact_attendees"]
    list_select_related = ["account", "author"]
    date_hierarchy = "visited_on"
    inlines = [RequirementInline, ActionItemInline]
    fields = [
        ("account", "visited_on", "visit_type"),
        ("author", "sentiment"),
        "purpose",
        "summary",
        "staff_attendees",
        "contact_attendees",
    ]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("author", request.user.pk)
        initial.setdefault("visited_on", timezone.localdate())
        return initial

    def save_formset(self, request, form, formset, change):
        # Children logged on the visit's screen belong to the visit's account.
        for obj in formset.save(commit=False):
            obj.account_id = form.instance.account_id
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(Requirement)
class RequirementAdmin(VerticalScopedAdmin, SimpleHistoryAdmin):
    list_display = [
        "title",
        "account",
        "category",
        "priority",
        "status",
        "owner",
        "raised_at",
        "first_response_at",
    ]
    list_filter = ["status", "category", "priority", "account__vertical"]
    search_fields = ["title", "description", "account__name", "account__local_name"]
    autocomplete_fields = ["account", "visit", "owner"]
    list_select_related = ["account", "owner"]
    date_hierarchy = "raised_at"


@admin.register(ActionItem)
class ActionItemAdmin(VerticalScopedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "account", "owner", "due_on", "done_at"]
    list_filter = ["account__vertical"]
    search_fields = ["title", "account__name", "account__local_name"]
    autocomplete_fields = ["account", "visit", "owner"]
    list_select_related = ["account", "owner"]
    date_hierarchy = "due_on"
