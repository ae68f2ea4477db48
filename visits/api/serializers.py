"""JSON shape of a visit: listed with its account and author, created by the caller."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.selectors import accounts_visible_to
from core.limits import FREE_TEXT_MAX_LENGTH
from verticals.selectors import people_visible_to
from visits.models import Visit, visit_date_error


class VisibleAccountField(serializers.SlugRelatedField):
    """An account by external_id, among the caller's accounts only (others read as unknown)."""

    default_error_messages = {
        "does_not_exist": _("No account with external_id {value}."),
        "invalid": _("Invalid external_id."),
    }

    def get_queryset(self):
        return accounts_visible_to(self.context["request"].user)

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class VisiblePeopleField(serializers.SlugRelatedField):
    """One of our people by username, among those the caller may pick (as in the admin)."""

    default_error_messages = {
        "does_not_exist": _("No person with username {value}."),
        "invalid": _("Invalid username."),
    }

    def get_queryset(self):
        return people_visible_to(self.context["request"].user)

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class VisitSerializer(serializers.ModelSerializer):
    account = VisibleAccountField(
        slug_field="external_id", help_text=_("External id of the visited account.")
    )
    account_name = serializers.CharField(source="account.name", read_only=True)
    author = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text=_("Who logged it: the caller.")
    )
    staff_attendees = VisiblePeopleField(
        slug_field="username",
        many=True,
        required=False,
        help_text=_("Usernames of our people who attended (people of the caller's verticals)."),
    )
    summary = serializers.CharField(
        max_length=FREE_TEXT_MAX_LENGTH,
        allow_blank=True,
        required=False,
        help_text=_("What was discussed; at most %(n)d characters.") % {"n": FREE_TEXT_MAX_LENGTH},
    )
    visited_on = serializers.DateField(
        required=False,
        help_text=_(
            "Defaults to today (Asia/Shanghai); not in the future, and at most 10 years back."
        ),
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "account",
            "account_name",
            "visited_on",
            "visit_type",
            "purpose",
            "summary",
            "sentiment",
            "author",
            "staff_attendees",
            "created_at",
        ]
        read_only_fields = ["id", "account_name", "author", "created_at"]

    def validate_visited_on(self, value):
        error = visit_date_error(value)
        if error:
            raise serializers.ValidationError(error)
        return value
