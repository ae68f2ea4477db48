"""Verticals over REST: the list, and one vertical's pipeline numbers on a day."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from verticals.models import WORKING_ROLES
from verticals.pipeline import default_day, vertical_pipeline
from verticals.selectors import verticals_visible_to

from .errors import READ_ERRORS, READ_ONE_ERRORS, NotFoundError
from .params import date_param, date_parameter, is_clean_path_value
from .serializers import PipelineSerializer, VerticalSerializer

STAFFING_EXAMPLE = {"tech": 2, "bd": 1, "sa": 1, "csm": 3}


class VerticalListView(generics.ListAPIView):
    serializer_class = VerticalSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        # One query: staffing counted per role in the database.
        return verticals_visible_to(self.request.user).annotate(
            **{
                f"staff_{role.value}": Count(
                    "memberships__user", filter=Q(memberships__role=role.value), distinct=True
                )
                for role in WORKING_ROLES
            }
        )

    @extend_schema(
        operation_id="verticals_list",
        summary=_("The verticals the caller may see"),
        responses={200: VerticalSerializer(many=True), **READ_ERRORS},
        examples=[
            OpenApiExample(
                "One vertical",
                value=[
                    {
                        "code": "manufacturing",
                        "name": "Manufacturing",
                        "local_name": "制造",
                        "description": "",
                        "staffing": STAFFING_EXAMPLE,
                        "fully_staffed": True,
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


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
        day = date_param(request, "date") or default_day()
        vertical = None
        if is_clean_path_value(code):
            vertical = verticals_visible_to(request.user).filter(code=code).first()
        if vertical is None:
            raise NotFoundError("code", _("No vertical with this code."))
        numbers = vertical_pipeline(vertical=vertical, day=day)
        return Response(
            PipelineSerializer({"vertical": vertical.code, "date": day, **numbers}).data
        )
