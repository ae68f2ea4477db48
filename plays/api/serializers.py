"""JSON shapes of plays and CTAs (field names as docs/plays.md: account = external_id, play = trigger)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.days import business_today
from plays import reasons
from plays.models import CLOSED_BY_PERSON, CTA, Play


class PlaySerializer(serializers.ModelSerializer):
    parameters = serializers.SerializerMethodField(
        help_text=_("The trigger's parameters, defaults filled in.")
    )
    steps = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Play
        fields = [
            "trigger",
            "name",
            "parameters",
            "owner_role",
            "due_days",
            "steps",
            "snooze_days",
            "clear_days",
            "active",
        ]

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_parameters(self, play: Play) -> dict:
        return play.effective_parameters


class StepSerializer(serializers.Serializer):
    text = serializers.CharField()
    done = serializers.BooleanField()


class CTASerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(
        slug_field="external_id", read_only=True, help_text=_("External id of the account.")
    )
    account_name = serializers.CharField(source="account.name", read_only=True)
    play = serializers.SlugRelatedField(
        slug_field="trigger", read_only=True, help_text=_("The play's trigger code.")
    )
    reason = serializers.SerializerMethodField(
        help_text=_("Why it was opened, in words with the numbers, in the caller's language.")
    )
    resolution = serializers.SerializerMethodField(
        help_text=_("Why it resolved itself (status resolved), else null.")
    )
    owner = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text=_("Username of the owner.")
    )
    steps = StepSerializer(many=True, read_only=True)
    overdue = serializers.SerializerMethodField(help_text=_("Open and past its due date."))

    class Meta:
        model = CTA
        fields = [
            "id",
            "account",
            "account_name",
            "play",
            "status",
            "reason",
            "opened_on",
            "due_on",
            "overdue",
            "owner",
            "steps",
            "closed_at",
            "closed_on",
            "note",
            "resolution",
        ]
        read_only_fields = fields

    def get_reason(self, cta: CTA) -> str:
        return reasons.render(cta.play.trigger, cta.reason_numbers)

    def get_resolution(self, cta: CTA) -> str | None:
        if cta.status != "resolved":
            return None
        return reasons.render_resolution(
            closed_on=cta.closed_on, last_held_on=cta.last_held_on, clear_days=cta.clear_streak
        )

    def get_overdue(self, cta: CTA) -> bool:
        return cta.is_overdue(self.context.get("today") or business_today())


class CTAUpdateSerializer(serializers.Serializer):
    """PATCH body: close it (`status` done or dismissed, with a `note`) or replace `steps`."""

    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in CLOSED_BY_PERSON], required=False
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    steps = StepSerializer(many=True, required=False)

    def validate(self, attrs):
        if "status" not in attrs and "steps" not in attrs:
            raise serializers.ValidationError(
                {"status": _('Give "status" (done or dismissed, with a note) or "steps".')}
            )
        if attrs.get("status") == "dismissed" and not attrs.get("note", "").strip():
            raise serializers.ValidationError({"note": _("A dismissal needs a note saying why.")})
        return attrs
