"""Verticals over REST: the list (one vertical's pipeline numbers are reports.api.pipeline)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics

from core.api.errors import READ_ERRORS
from verticals.models import WORKING_ROLES
from verticals.selectors import verticals_visible_to

from .serializers import VerticalSerializer

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
