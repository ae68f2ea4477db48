"""JSON shape of a webhook subscription (secret write-only, shown once) and of its deliveries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from events.models import SUBSCRIBABLE, Delivery, DeliveryAttempt, Subscription
from verticals.models import Vertical


class SubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE),
        allow_empty=False,
        max_length=len(SUBSCRIBABLE),
        help_text=_('Event types to receive, or ["*"] for every type.'),
    )
    verticals = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        required=False,
        queryset=Vertical.objects.all(),
        help_text=_("Vertical codes; empty: every vertical the creator may see."),
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=200,
        help_text=_("Signing secret; generated when absent and shown once, in the answer to POST."),
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "name",
            "url",
            "events",
            "verticals",
            "format",
            "language",
            "secret",
            "active",
            "created_by",
            "created_at",
            "consecutive_failures",
            "disabled_reason",
        ]
        read_only_fields = [
            "id",
            "created_by",
            "created_at",
            "consecutive_failures",
            "disabled_reason",
        ]

    def validate_events(self, value):
        return list(dict.fromkeys(value))

    def validate_secret(self, value):
        if "\x00" in value:
            raise serializers.ValidationError(_("Invalid secret."))
        return value


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    """The answer to POST: the subscription with its secret, shown this once."""

    secret = serializers.CharField(read_only=True, help_text=_("Signing secret, shown only now."))


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["attempted_at", "status_code", "answer", "duration_ms", "error"]


class DeliverySerializer(serializers.ModelSerializer):
    event = serializers.UUIDField(source="event.uuid", read_only=True)
    type = serializers.CharField(source="event.type", read_only=True)
    account = serializers.CharField(source="account_external_id", read_only=True)
    log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event",
            "type",
            "account",
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "log",
        ]
