"""`GET /api/v1/verticals/<code>/pipeline/`: one vertical's pipeline numbers on a day."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Stage
from core.api.errors import READ_ONE_ERRORS, NotFoundError
from core.api.params import date_parameter, day_param, is_clean_path_value
from reports.pipeline import vertical_pipeline
from verticals.api.serializers import StaffingSerializer
from verticals.api.views import STAFFING_EXAMPLE
from verticals.selectors import verticals_visible_to


class StageCountsSerializer(serializers.Serializer):
    prospect = serializers.IntegerField(min_value=0)
    onboarding = serializers.IntegerField(min_value=0)
    adopting = serializers.IntegerField(min_value=0)
    expanding = serializers.IntegerField(min_value=0)
    at_risk = serializers.IntegerField(min_value=0)
    churned = serializers.IntegerField(min_value=0)


assert set(StageCountsSerializer().fields) == set(Stage.values)


class PipelineSerializer(serializers.Serializer):
    """reports.pipeline.vertical_pipeline, as is, with the vertical and day it is for."""

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


class VerticalPipelineView(APIView):
    @extend_schema(
        operation_id="verticals_pipeline",
        summary=_("A vertical's pipeline on a day"),
        description=_(
            "Accounts per stage, DAG accounts, deep-integration customers, visits of the last 7 "
            "days, open and overdue requirements, median first-response hours and staffing, as "
            "on the COO's pipeline page."
        ),
        parameters=[
            OpenApiParameter("code", str, OpenApiParameter.PATH, description=_("Vertical code.")),
            date_parameter("date", _("Day (YYYY-MM-DD); yesterday (Asia/Shanghai) when omitted.")),
        ],
        responses={200: PipelineSerializer, **READ_ONE_ERRORS},
        examples=[
            OpenApiExample(
                "Manufacturing",
                value={
                    "vertical": "manufacturing",
                    "date": "2026-11-24",
                    "stages": {
                        "prospect": 4,
                        "onboarding": 3,
                        "adopting": 10,
                        "expanding": 6,
                        "at_risk": 2,
                        "churned": 1,
                    },
                    "accounts": 26,
                    "dag_accounts": 14,
                    "deep_customers": 5,
                    "visits_last_7_days": 9,
                    "open_requirements": 12,
                    "overdue_requirements": 2,
                    "median_first_response_hours": 6.5,
                    "staffing": STAFFING_EXAMPLE,
                    "fully_staffed": True,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, code: str):
        day = day_param(request, "date")
        vertical = None
        if is_clean_path_value(code):
            vertical = verticals_visible_to(request.user).filter(code=code).first()
        if vertical is None:
            raise NotFoundError("code", _("No vertical with this code."))
        numbers = vertical_pipeline(vertical=vertical, day=day)
        return Response(
            PipelineSerializer({"vertical": vertical.code, "date": day, **numbers}).data
        )


# Mounted under /api/v1/ by config/api_urls.py.
urlpatterns = [
    path(
        "verticals/<str:code>/pipeline/",
        VerticalPipelineView.as_view(),
        name="api-vertical-pipeline",
    ),
]
