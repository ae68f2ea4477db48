"""Plays and CTAs over REST: the plays, the caller's CTAs, and closing or ticking one."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from core.api.errors import READ_ERRORS, READ_ONE_ERRORS, WRITE_ERRORS, NotFoundError
from core.api.pagination import KeysetPagination
from core.days import business_today
from plays import services
from plays.models import Play
from plays.selectors import ctas_visible_to

from .filters import CTAFilter
from .serializers import CTASerializer, CTAUpdateSerializer, PlaySerializer

CTA_EXAMPLE = {
    "id": 311,
    "account": "ent-00042",
    "account_name": "Sany Heavy Industry",
    "play": "connector_silent",
    "status": "open",
    "reason": "SAP S/4HANA connector silent for 3 days after 7 active days",
    "opened_on": "2026-11-24",
    "due_on": "2026-11-27",
    "overdue": False,
    "owner": "sa_manufacturing",
    "steps": [
        {"text": "Check the connector's logs and credentials", "done": True},
        {"text": "Contact the customer's system owner", "done": False},
    ],
    "closed_at": None,
    "closed_on": None,
    "note": "",
    "resolution": None,
}


class PlayListView(generics.ListAPIView):
    serializer_class = PlaySerializer
    pagination_class = None
    filter_backends: list = []
    queryset = Play.objects.order_by("id")

    @extend_schema(
        operation_id="plays_list",
        summary=_("The plays with their parameters"),
        responses={200: PlaySerializer(many=True), **READ_ERRORS},
        examples=[
            OpenApiExample(
                "One play",
                value=[
                    {
                        "trigger": "connector_silent",
                        "name": "Connector fell silent",
                        "parameters": {"active_days": 7, "silent_days": 3},
                        "owner_role": "sa",
                        "due_days": 3,
                        "steps": ["Check the connector's logs and credentials"],
                        "snooze_days": 14,
                        "clear_days": 3,
                        "active": True,
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class _CTAQueryset:
    def get_queryset(self):
        return ctas_visible_to(self.request.user).select_related("account", "play", "owner")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": business_today()}


class CTAListView(_CTAQueryset, generics.ListAPIView):
    serializer_class = CTASerializer
    filterset_class = CTAFilter
    pagination_class = KeysetPagination
    ordering_fields = {"opened_on": ("opened_on", "date"), "due_on": ("due_on", "date")}
    default_ordering = "-opened_on"
    keyset_tiebreak = ("id", "int")

    @extend_schema(
        operation_id="ctas_list",
        summary=_("CTAs the caller may see"),
        description=_("Newest first by default; cursor-based pages. `owner=me` for one's own."),
        responses={200: CTASerializer(many=True), **READ_ERRORS},
        examples=[OpenApiExample("A CTA", value=CTA_EXAMPLE, response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


CTA_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("CTA id."))


class CTADetailView(_CTAQueryset, generics.GenericAPIView):
    serializer_class = CTASerializer
    filter_backends: list = []

    def get_object(self):
        raw = self.kwargs["id"]
        cta = self.get_queryset().filter(pk=raw).first() if raw.isdigit() else None
        if cta is None:
            raise NotFoundError("id", _("No CTA with this id."))
        return cta

    @extend_schema(
        operation_id="ctas_retrieve",
        summary=_("One CTA"),
        parameters=[CTA_ID],
        responses={200: CTASerializer, **READ_ONE_ERRORS},
        examples=[OpenApiExample("A CTA", value=CTA_EXAMPLE, response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        operation_id="ctas_partial_update",
        summary=_("Close a CTA or tick its steps"),
        description=_(
            'Body `{"status": "done"|"dismissed", "note": "…"}` (a dismissal needs a note) or '
            '`{"steps": [{"text", "done"}, …]}`. Needs a token created with --write (or a session).'
        ),
        parameters=[CTA_ID],
        request=CTAUpdateSerializer,
        responses={200: CTASerializer, **WRITE_ERRORS, 404: READ_ONE_ERRORS[404]},
        examples=[
            OpenApiExample(
                "Dismiss",
                value={"status": "dismissed", "note": "Connector replaced by the new ERP"},
                request_only=True,
            ),
            OpenApiExample("Done", value={**CTA_EXAMPLE, "status": "done"}, response_only=True),
        ],
    )
    def patch(self, request, *args, **kwargs):
        cta = self.get_object()
        body = CTAUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            if "steps" in data:
                cta = services.set_steps(cta=cta, steps=[dict(s) for s in data["steps"]])
            if "status" in data:
                cta = services.close_cta(
                    cta=cta, status=data["status"], user=request.user, note=data.get("note", "")
                )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=cta.pk)).data)
