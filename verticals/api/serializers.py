"""JSON shapes of verticals and of a vertical's pipeline on a day."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Stage
from verticals.models import WORKING_ROLES, Vertical


class StaffingSerializer(serializers.Serializer):
    tech = serializers.IntegerField(min_value=0)
    bd = serializers.IntegerField(min_value=0)
    sa = serializers.IntegerField(min_value=0)
    csm = serializers.IntegerField(min_value=0)


class StageCountsSerializer(serializers.Serializer):
    prospect = serializers.IntegerField(min_value=0)
    onboarding = serializers.IntegerField(min_value=0)
    adopting = serializers.IntegerField(min_value=0)
    expanding = serializers.IntegerField(min_value=0)
    at_risk = serializers.IntegerField(min_value=0)
    churned = serializers.IntegerField(min_value=0)


assert set(StageCountsSerializer().fields) == set(Stage.values)
assert set(StaffingSerializer().fields) == {r.value for r in WORKING_ROLES}


class VerticalSerializer(serializers.ModelSerializer):
    """A vertical and how many people hold each working role (annotated `staff_*` counts)."""

    staffing = serializers.SerializerMethodField()
    fully_staffed = serializers.SerializerMethodField()

    class Meta:
        model = Vertical
        fields = ["code", "name", "local_name", "description", "staffing", "fully_staffed"]
        read_only_fields = fields

    def _staffing(self, vertical: Vertical) -> dict[str, int]:
        return {r.value: getattr(vertical, f"staff_{r.value}") for r in WORKING_ROLES}

    @extend_schema_field(StaffingSerializer)
    def get_staffing(self, vertical: Vertical) -> dict[str, int]:
        return self._staffing(vertical)

    def get_fully_staffed(self, vertical: Vertical) -> bool:
        return all(self._staffing(vertical).values())


class PipelineSerializer(serializers.Serializer):
    """verticals.pipeline.vertical_pipeline, as is, with the vertical and day it is for."""

    vertical = serializers.CharField(help_text=_("Vertical code."))
    date = serializers.DateField()
    stages = StageCountsSerializer(help_text=_("Accounts per pipeline stage."))
    accounts = serializers.IntegerField(min_value=0)
    dag_accounts = serializers.IntegerField(min_value=0, help_text=_("DAG accounts on the day."))
    deep_customers = serializers.IntegerField(
        min_value=0, help_text=_("Deep-integration customers (level 3) on the day.")
    )
    visits_last_7_days = serializers.IntegerField(
        min_value=0, help_text=_("Visits dated in the 7 days ending on the day.")
    )
    open_requirements = serializers.IntegerField(min_value=0)
    overdue_requirements = serializers.IntegerField(
        min_value=0, help_text=_("Open, with no first response within the policy's SLA.")
    )
    median_first_response_hours = serializers.FloatField(
        allow_null=True,
        help_text=_("Over requirements raised in the 90 days up to the day; null if none."),
    )
    staffing = StaffingSerializer(help_text=_("People holding each working role."))
    fully_staffed = serializers.BooleanField()
