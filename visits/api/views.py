"""Visits over REST: the caller's verticals' visits, and logging a visit as the caller."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import generics, serializers

from core.api.errors import READ_ERRORS, WRITE_ERRORS
from core.api.pagination import KeysetPagination
from verticals.api.auth import HasModelAddPermission
from visits.selectors import visits_visible_to
from visits.services import log_visit

from .filters import VisitFilter
from .serializers import VisitSerializer

VISIT_EXAMPLE = {
    "id": 812,
    "account": "ent-00042",
    "account_name": "Sany Heavy Industry",
    "visited_on": "2026-11-24",
    "visit_type": "executive",
    "purpose": "Connect the MES to the platform",
    "summary": "The CIO agreed to a pilot on two production lines.",
    "sentiment": "positive",
    "author": "coo",
    "staff_attendees": ["sa_manufacturing"],
    "created_at": "2026-11-24T18:05:00+08:00",
}


@extend_schema_view(
    get=extend_schema(
        operation_id="visits_list",
        summary=_("Visits to the caller's accounts"),
        description=_("Newest first by default; cursor-based pages."),
        responses={200: VisitSerializer(many=True), **READ_ERRORS},
        examples=[
            OpenApiExample(
                "A page",
                value=VISIT_EXAMPLE,
                response_only=True,
            )
        ],
    ),
    post=extend_schema(
        operation_id="visits_create",
        summary=_("Log a visit"),
        description=_(
            "Logs a visit to one of the caller's accounts, authored by the caller. Needs a token "
            "created with --write (or a session) and the permission to add visits."
        ),
        responses={201: VisitSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Executive visit",
                value={
                    "account": "ent-00042",
                    "visited_on": "2026-11-24",
                    "visit_type": "executive",
                    "purpose": "Connect the MES to the platform",
                    "summary": "The CIO agreed to a pilot on two production lines.",
                    "sentiment": "positive",
                },
                request_only=True,
            ),
            OpenApiExample("Logged", value=VISIT_EXAMPLE, response_only=True),
        ],
    ),
)
class VisitListCreateView(generics.ListCreateAPIView):
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    pagination_class = KeysetPagination
    permission_classes = [*generics.ListCreateAPIView.permission_classes, HasModelAddPermission]
    add_permission = "visits.add_visit"
    ordering_fields = {"visited_on": ("visited_on", "date")}
    default_ordering = "-visited_on"
    keyset_tiebreak = ("id", "int")

    def get_queryset(self):
        return (
            visits_visible_to(self.request.user)
            .select_related("account", "author")
            .prefetch_related("staff_attendees")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = log_visit(
                account=data["account"],
                author=self.request.user,
                visited_on=data.get("visited_on"),
                visit_type=data.get("visit_type", "check_in"),
                purpose=data.get("purpose", ""),
                summary=data.get("summary", ""),
                sentiment=data.get("sentiment", "neutral"),
                staff_attendees=data.get("staff_attendees", ()),
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"non_field_errors": exc.messages}
            ) from None
