from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .admin_scoping import USER_LABEL, VerticalScopedAdmin, person_name
from .api.tokens import revoke_api_tokens
from .models import APIToken, Membership, Vertical
from .selectors import people_visible_to, staffing
from .signin.forms import LoginForm


class PeopleManagedBySuperusers:
    """Only superusers add, change or delete people and their memberships; others may at most view."""

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


def _is_autocomplete(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and match.url_name == "autocomplete")


class NamedPeopleAutocomplete(AutocompleteJsonView):
    """The admin's autocomplete, offering people by their full name rather than their username."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if obj._meta.label_lower == USER_LABEL:
            result["text"] = person_name(obj)
        return result


def _autocomplete_view(request):
    return NamedPeopleAutocomplete.as_view(admin_site=admin.site)(request)


# Says plainly when PASSWORD_LOGIN=superusers refuses a person's password.
admin.site.login_form = LoginForm
# AdminSite.get_urls() wraps self.autocomplete_view; the URLs are built after the admins load.
admin.site.autocomplete_view = _autocomplete_view
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class PersonAdmin(PeopleManagedBySuperusers, UserAdmin):
    """Django's user admin, for superusers only; everyone else just picks colleagues.

    Staff may query it through the admin's autocomplete (owners, authors,
    attendees), which offers only the people of their own verticals
    (`people_visible_to`); the people list itself stays hidden from them.
    """

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        return obj is None and request.user.is_staff and _is_autocomplete(request)

    def get_queryset(self, request):
        return people_visible_to(request.user) & super().get_queryset(request)


class MembershipInline(PeopleManagedBySuperusers, admin.TabularInline):
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
class MembershipAdmin(PeopleManagedBySuperusers, VerticalScopedAdmin, admin.ModelAdmin):
    vertical_field = "vertical_id"
    list_display = ["user", "role", "vertical", "joined_on"]
    list_filter = ["role", ("vertical", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__email"]
    autocomplete_fields = ["user", "vertical"]
    list_select_related = ["user", "vertical"]


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    """Keys are created with `create_api_token`; here they are reviewed and revoked.

    The key is never shown (only its hash is stored); the prefix tells keys apart.
    """

    list_display = [
        "prefix",
        "user",
        "name",
        "can_write",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["can_write", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user"]
    fields = [
        "user",
        "name",
        "prefix",
        "can_write",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected API tokens"))
    def revoke(self, request, queryset):
        count = revoke_api_tokens(queryset)
        self.message_user(request, _("%(n)d token(s) revoked.") % {"n": count})
