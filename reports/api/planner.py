"""`GET /api/v1/visit-plan/`: the executive's visit plan over REST (the ranking is reports.planner)."""

from __future__ import annotations

import datetime as dt

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import READ_ERRORS, InvalidParameter
from core.api.params import day_param
from reports import planner
from verticals.selectors import verticals_visible_to

DEFAULT_LIMIT = 100
MAX_LIMIT = 5000


class VisitPlanEntrySerializer(serializers.Serializer):
    external_id = serializers.CharField(source="account.external_id")
    name = serializers.CharField(source="account.name")
    local_name = serializers.CharField(source="account.local_name")
    vertical = serializers.CharField(source="account.vertical.code")
    region = serializers.CharField(source="account.region")
    score = serializers.FloatField(
        help_text=_("What a visit is worth now, out of the weights' sum.")
    )
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text=_("Why, in words, in the request's language.")
    )
    days_since_visit = serializers.IntegerField(
        allow_null=True, help_text=_("Days since the last visit by anyone; null if never.")
    )
    days_since_executive_visit = serializers.IntegerField(
        allow_null=True,
        help_text=_("Days since the last executive visit (type executive, or by the COO)."),
    )
    color = serializers.CharField(
        allow_null=True, help_text=_("Health colour on the day; null without computed status.")
    )
    deep_integration_level = serializers.IntegerField(allow_null=True)


def _limit(request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidParameter(
            "limit", _("Must be a whole number from 1 to %(max)s.") % {"max": MAX_LIMIT}
        )
    return int(raw)


class VisitPlanView(APIView):
    @extend_schema(
        operation_id="visit_plan",
        summary=_("The accounts the caller may see, ranked by what a visit is worth now"),
        description=_(
            "Risk (red or falling health, a DAG rate that fell over 4 weeks, overdue "
            "requirements, a renewal coming up), upside (size tier, one criterion short of deep "
            "integration) and the days since the last visit and executive visit, weighted by "
            "the metric policy's visit-plan weights. Best first."
        ),
        parameters=[
            OpenApiParameter(
                "date",
                dt.date,
                description=_(
                    "Day (YYYY-MM-DD); the latest day with computed status when omitted."
                ),
            ),
            OpenApiParameter("region", str, description=_("Only accounts of this region.")),
            OpenApiParameter(
                "vertical", str, description=_("Only accounts of this vertical code.")
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=_("How many of the best to return (1–5000, default 100)."),
            ),
        ],
        responses={200: VisitPlanEntrySerializer(many=True), **READ_ERRORS},
        examples=[
            OpenApiExample(
                "One account",
                value=[
                    {
                        "external_id": "ent-00042",
                        "name": "Northern Steel Group",
                        "local_name": "北方钢铁集团",
                        "vertical": "manufacturing",
                        "region": "North China",
                        "score": 71.5,
                        "reasons": [
                            "health red (score 31)",
                            "DAG rate 0.72 → 0.41 in 4 weeks",
                            "3 requirements overdue",
                            "no visit in 74 days",
                        ],
                        "days_since_visit": 74,
                        "days_since_executive_visit": None,
                        "color": "red",
                        "deep_integration_level": 2,
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request):
        day = day_param(request, "date")
        vertical = request.query_params.get("vertical", "")
        if vertical and not verticals_visible_to(request.user).filter(code=vertical).exists():
            raise InvalidParameter("vertical", _("No vertical with this code that you may see."))
        limit = _limit(request)
        entries = planner.visit_plan(
            user=request.user,
            day=day,
            region=request.query_params.get("region", ""),
            vertical=vertical,
        )
        return Response(VisitPlanEntrySerializer(entries[:limit], many=True).data)


# Mounted under /api/v1/ by config/api_urls.py (`path("", include("reports.api.planner"))`).
urlpatterns = [path("visit-plan/", VisitPlanView.as_view(), name="api-visit-plan")]
