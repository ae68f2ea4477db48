"""Webhooks in the admin: subscriptions (the COO any, a lead her verticals'), the delivery log, send again."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from verticals.models import Vertical
from verticals.selectors import scope_by_vertical, sees_all_verticals

from . import services
from .models import SUBSCRIBABLE, Delivery, DeliveryAttempt, Event, Subscription, new_secret
from .selectors import lead_vertical_ids, may_manage_webhooks, subscriptions_managed_by


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=[(c, c) for c in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        help_text=_('"*" receives every type, including types added later.'),
    )
    secret = forms.CharField(
        label=_("secret"),
        required=False,
        min_length=16,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current one (or, when adding, to generate one)."),
    )

    class Meta:
        model = Subscription
        fields = ["name", "url", "events", "verticals", "format", "language", "secret", "active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            services.check_subscription_url(url)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from None
        return url

    def clean_secret(self):
        return self.cleaned_data.get("secret") or (self.instance.secret if self.instance.pk else "")


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["attempted_at", "status_code", "duration_ms", "error", "answer"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = [
        "__str__",
        "format",
        "language",
        "active",
        "consecutive_failures",
        "created_by",
        "created_at",
    ]
    list_filter = ["active", "format"]
    search_fields = ["name", "url"]
    readonly_fields = ["created_by", "consecutive_failures", "disabled_reason"]

    def get_queryset(self, request):
        return subscriptions_managed_by(request.user).select_related("created_by")

    def has_module_permission(self, request):
        return may_manage_webhooks(request.user) and super().has_module_permission(request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "verticals" and not sees_all_verticals(request.user):
            kwargs["queryset"] = Vertical.objects.filter(pk__in=lead_vertical_ids(request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            if not form.cleaned_data.get("secret"):
                obj.secret = new_secret()
            messages.warning(
                request,
                _("The signing secret of %(name)s is %(secret)s. It is shown only this once.")
                % {"name": obj, "secret": obj.secret},
            )
        elif obj.active and "active" in form.changed_data:
            obj.consecutive_failures = 0
            obj.disabled_reason = ""
        super().save_model(request, obj, form, change)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event_type",
        "account_external_id",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
    ]
    list_filter = ["status", "event__type"]
    search_fields = ["account_external_id", "event__uuid"]
    list_select_related = ["event", "subscription"]
    readonly_fields = [
        "event",
        "subscription",
        "account_external_id",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    fields = readonly_fields
    inlines = [DeliveryAttemptInline]
    actions = ["send_again"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(subscription__in=subscriptions_managed_by(request.user))
        )

    def has_module_permission(self, request):
        return may_manage_webhooks(request.user) and super().has_module_permission(request)

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("type"), ordering="event__type")
    def event_type(self, obj):
        return obj.event.type

    @admin.action(description=_("Send again"), permissions=["change"])
    def send_again(self, request, queryset):
        queued = services.send_again(deliveries=queryset)
        self.message_user(
            request,
            ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", queued)
            % {"n": queued},
            messages.SUCCESS,
        )


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "type", "account_external_id", "account_name", "vertical_code"]
    list_filter = ["type"]
    search_fields = ["account_external_id", "account_name", "uuid"]
    readonly_fields = [
        "uuid",
        "type",
        "occurred_at",
        "account_external_id",
        "account_name",
        "vertical_code",
        "data",
        "fanned_out",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return scope_by_vertical(
            super().get_queryset(request), request.user, vertical_field="vertical_id"
        )

    def has_module_permission(self, request):
        return may_manage_webhooks(request.user) and super().has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
