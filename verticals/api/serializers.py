"""JSON shapes of verticals (a vertical's pipeline is reports.api.pipeline)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from verticals.models import WORKING_ROLES, Vertical


class StaffingSerializer(serializers.Serializer):
    tech = serializers.IntegerField(min_value=0)
    bd = serializers.IntegerField(min_value=0)
    sa = serializers.IntegerField(min_value=0)
    csm = serializers.IntegerField(min_value=0)


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
