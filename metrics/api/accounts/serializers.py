"""JSON shapes of accounts in the API, with the inline summary of their latest health."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Account, SizeTier
from metrics.models import HealthColor, IntegrationLevel


class HealthSummarySerializer(serializers.Serializer):
    """The account's latest computed status, in brief; the full status is at …/health/."""

    date = serializers.DateField(help_text=_("Day of the latest computed status."))
    score = serializers.IntegerField(min_value=0, max_value=100)
    color = serializers.ChoiceField(choices=HealthColor.choices)
    is_dag = serializers.BooleanField()
    dag_rate = serializers.FloatField(min_value=0, max_value=1)
    deep_integration_level = serializers.ChoiceField(choices=IntegrationLevel.choices)


class AccountSerializer(serializers.ModelSerializer):
    """An account; the queryset carries `health_*` annotations (see metrics.api.accounts.views)."""

    vertical = serializers.SlugRelatedField(slug_field="code", read_only=True)
    owner_csm = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    size_tier = serializers.SerializerMethodField()
    health = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "external_id",
            "name",
            "local_name",
            "vertical",
            "headcount",
            "size_tier",
            "region",
            "dedicated_deployment",
            "cloud_customer",
            "stage",
            "owner_csm",
            "renewal_date",
            "health",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=SizeTier.choices, allow_null=True))
    def get_size_tier(self, account: Account) -> str | None:
        return account.size_tier

    @extend_schema_field(HealthSummarySerializer(allow_null=True))
    def get_health(self, account: Account) -> dict | None:
        if getattr(account, "health_day", None) is None:
            return None
        return {
            "date": account.health_day.isoformat(),
            "score": account.health_score,
            "color": account.health_color,
            "is_dag": bool(account.health_is_dag),
            "dag_rate": account.health_dag_rate,
            "deep_integration_level": account.health_level,
        }


class AccountDetailSerializer(AccountSerializer):
    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "created_at", "updated_at"]
        read_only_fields = fields
