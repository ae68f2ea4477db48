from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .admin_scoping import VerticalScopedAdmin
from .models import Membership, Vertical
from .selectors import staffing


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Vertical)
class VerticalAdmin(VerticalScopedAdmin, admin.ModelAdmin):
    vertical_field = "id"
    list_display = ["code", "name", "local_name", "position", "staffed"]
    search_fields = ["code", "name", "local_name"]
    ordering = ["position"]
    inlines = [MembershipInline]

    @admin.display(description=_("fully staffed"), boolean=True)
    def staffed(self, obj):
        return all(staffing(obj).values())


@admin.register(Membership)
class MembershipAdmin(VerticalScopedAdmin, admin.ModelAdmin):
    vertical_field = "vertical_id"
    list_display = ["user", "role", "vertical", "joined_on"]
    list_filter = ["role", "vertical"]
    search_fields = ["user__username", "user__first_name", "user__email"]
    autocomplete_fields = ["user", "vertical"]
    list_select_related = ["user", "vertical"]
