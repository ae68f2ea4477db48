"""JSON shapes of computed account health and of the usage feeds over REST."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from metrics.models import (
    FEED_NUMBER_BOUNDS,
    AccountDailyStatus,
    HealthColor,
    IntegrationLevel,
)
from metrics.rules import COMPONENT_LABELS
from metrics.status import status_components, status_next_level


class ComponentSerializer(serializers.Serializer):
    component = serializers.ChoiceField(choices=[(k, v) for k, v in COMPONENT_LABELS.items()])
    label = serializers.CharField()
    value = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "The input: DAG rate, level, most apps in a day, days since the last visit "
            "(null: never visited), overdue requirements."
        ),
    )
    points = serializers.FloatField(help_text=_("Points earned."))
    max = serializers.IntegerField(help_text=_("Points this component can give (its weight)."))
    effect = serializers.ChoiceField(
        choices=[("raised", _("raised")), ("lowered", _("lowered"))],
        help_text=_("Raised: earned at least half its maximum; lowered otherwise."),
    )


class MissingCriterionSerializer(serializers.Serializer):
    criterion = serializers.ChoiceField(
        choices=[
            ("connectors", "connectors"),
            ("records", "records"),
            ("dag_rate", "dag_rate"),
            ("analytics_days", "analytics_days"),
        ]
    )
    have = serializers.FloatField()
    need = serializers.FloatField()


class NextLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField(min_value=1, max_value=3)
    missing = MissingCriterionSerializer(many=True)


class HealthSerializer(serializers.ModelSerializer):
    """An account's computed status on one day (the health endpoint's fields, see /api/docs/)."""

    external_id = serializers.SerializerMethodField()
    date = serializers.DateField(source="day")
    color = serializers.ChoiceField(choices=HealthColor.choices)
    deep_integration_level = serializers.ChoiceField(choices=IntegrationLevel.choices)
    dag_rate = serializers.FloatField(min_value=0, max_value=1)
    score = serializers.IntegerField(min_value=0, max_value=100)
    components = serializers.SerializerMethodField()
    next_level = serializers.SerializerMethodField()
    policy_version = serializers.IntegerField(
        source="policy_id", help_text=_("Id of the metric policy version that computed it.")
    )

    class Meta:
        model = AccountDailyStatus
        fields = [
            "external_id",
            "date",
            "is_dag",
            "minutes",
            "apps_used",
            "dag_days",
            "dag_rate",
            "connectors",
            "records",
            "analytics_days",
            "deep_integration_level",
            "score",
            "color",
            "components",
            "next_level",
            "policy_version",
        ]
        read_only_fields = fields

    def get_external_id(self, status: AccountDailyStatus) -> str:
        return self.context["account"].external_id

    @extend_schema_field(ComponentSerializer(many=True))
    def get_components(self, status: AccountDailyStatus) -> list[dict]:
        return status_components(status)

    @extend_schema_field(NextLevelSerializer(allow_null=True))
    def get_next_level(self, status: AccountDailyStatus) -> dict | None:
        return status_next_level(status)


class HealthDaySerializer(HealthSerializer):
    """One day of a history (the account is named once, at the top)."""

    class Meta(HealthSerializer.Meta):
        fields = [f for f in HealthSerializer.Meta.fields if f != "external_id"]
        read_only_fields = fields


class HealthHistorySerializer(serializers.Serializer):
    external_id = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    results = HealthDaySerializer(
        many=True, help_text=_("Computed days in the range, oldest first.")
    )


# --- Feeds -------------------------------------------------------------------------------


class AppUsageRowSerializer(serializers.Serializer):
    """One row of the app usage feed (documentation; rows are validated by the import service)."""

    account = serializers.CharField(help_text=_("Account external_id."))
    date = serializers.DateField(
        help_text=_(
            "Business day (Asia/Shanghai), not in the future nor older than "
            "FEED_RETENTION_DAYS days."
        )
    )
    app = serializers.CharField(
        help_text=_(
            "App code, read in lower case; unknown codes ([a-z0-9_], at most 40 characters, "
            "at most 5 per request) are registered as 'other', unconfirmed."
        )
    )
    minutes = serializers.IntegerField(min_value=0, max_value=FEED_NUMBER_BOUNDS["minutes"])
    active_users = serializers.IntegerField(
        min_value=0, max_value=FEED_NUMBER_BOUNDS["active_users"]
    )


class ConnectorUsageRowSerializer(serializers.Serializer):
    account = serializers.CharField(help_text=_("Account external_id."))
    date = serializers.DateField(
        help_text=_(
            "Business day (Asia/Shanghai), not in the future nor older than "
            "FEED_RETENTION_DAYS days."
        )
    )
    connector = serializers.CharField(
        help_text=_(
            "Connector code, read in lower case; unknown codes ([a-z0-9_], at most 40 "
            "characters, at most 5 per request) are registered as 'other', unconfirmed."
        )
    )
    records = serializers.IntegerField(min_value=0, max_value=FEED_NUMBER_BOUNDS["records"])


class IngestReportSerializer(serializers.Serializer):
    read = serializers.IntegerField(help_text=_("Rows received."))
    loaded = serializers.IntegerField(help_text=_("Rows written (created + updated)."))
    created = serializers.IntegerField(help_text=_("New keys."))
    updated = serializers.IntegerField(
        help_text=_("Keys already present, whose values were replaced.")
    )
    registered = serializers.ListField(
        child=serializers.CharField(),
        help_text=_(
            "Unknown app/connector codes registered on the fly with category/kind 'other'."
        ),
    )
