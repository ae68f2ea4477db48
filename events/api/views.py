"""Webhook subscriptions over REST: list, create (secret shown once), read, change, delete, deliveries."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response

from core.api.errors import READ_ERRORS, READ_ONE_ERRORS, WRITE_ERRORS, NotFoundError
from core.api.pagination import KeysetPagination
from events import services
from events.selectors import deliveries_of, may_manage_webhooks, subscriptions_managed_by

from .serializers import DeliverySerializer, SubscriptionCreatedSerializer, SubscriptionSerializer

WEBHOOK_EXAMPLE = {
    "id": 7,
    "name": "Manufacturing group",
    "url": "https://oapi.dingtalk.com/robot/send?access_token=…",
    "events": ["cta.opened", "account.color_changed"],
    "verticals": ["manufacturing"],
    "format": "dingtalk",
    "language": "zh-hans",
    "active": True,
    "created_by": "lead_manufacturing",
    "created_at": "2026-11-24T18:05:00+08:00",
    "consecutive_failures": 0,
    "disabled_reason": "",
}
DELIVERY_EXAMPLE = {
    "id": 91,
    "event": "6f1c2d1e-8a47-4b8e-9a53-0f1f5c1b2a77",
    "type": "visit.logged",
    "account": "ent-00042",
    "status": "delivered",
    "attempts": 1,
    "next_attempt_at": None,
    "delivered_at": "2026-11-24T18:05:01+08:00",
    "created_at": "2026-11-24T18:05:00+08:00",
    "log": [
        {
            "attempted_at": "2026-11-24T18:05:01+08:00",
            "status_code": 200,
            "answer": '{"errcode":0,"errmsg":"ok"}',
            "duration_ms": 84,
            "error": "",
        }
    ],
}


class ManagesWebhooks(permissions.BasePermission):
    """The COO, API clients and superusers (any subscription) and leads (their verticals')."""

    message = _("Only the COO, API clients and leads manage webhooks.")

    def has_permission(self, request, view):
        return may_manage_webhooks(request.user)


PERMISSIONS = [*generics.GenericAPIView.permission_classes, ManagesWebhooks]
WEBHOOK_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("Subscription id."))


def _save(**kwargs):
    try:
        return services.save_subscription(**kwargs)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        ) from None


class WebhookListView(generics.ListCreateAPIView):
    serializer_class = SubscriptionSerializer
    permission_classes = PERMISSIONS
    filter_backends: list = []
    pagination_class = KeysetPagination
    ordering_fields = {"id": ("id", "int")}
    default_ordering = "id"
    keyset_tiebreak = ("id", "int")

    def get_queryset(self):
        return (
            subscriptions_managed_by(self.request.user)
            .select_related("created_by")
            .prefetch_related("verticals")
        )

    @extend_schema(
        operation_id="webhooks_list",
        summary=_("Webhook subscriptions the caller manages"),
        responses={200: SubscriptionSerializer(many=True), **READ_ERRORS},
        examples=[OpenApiExample("A subscription", value=WEBHOOK_EXAMPLE, response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="webhooks_create",
        summary=_("Subscribe a URL to events"),
        description=_(
            "Needs a token created with --write (or a session). The secret is generated when "
            "absent and shown only in this answer. The URL must be https and must not resolve "
            "to a loopback, private, link-local or multicast address."
        ),
        request=SubscriptionSerializer,
        responses={201: SubscriptionCreatedSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "DingTalk group",
                value={
                    "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
                    "events": ["cta.opened"],
                    "verticals": ["manufacturing"],
                    "format": "dingtalk",
                    "language": "zh-hans",
                    "secret": "SEC0123456789abcdef",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Created",
                value={**WEBHOOK_EXAMPLE, "secret": "SEC0123456789abcdef"},
                response_only=True,
            ),
        ],
    )
    def post(self, request, *args, **kwargs):
        body = SubscriptionSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        subscription = _save(user=request.user, values=dict(body.validated_data))
        answer = SubscriptionCreatedSerializer(subscription, context=self.get_serializer_context())
        return Response(answer.data, status=status.HTTP_201_CREATED)


class _OneWebhook:
    permission_classes = PERMISSIONS
    filter_backends: list = []

    def get_subscription(self):
        raw = self.kwargs["id"]
        found = (
            subscriptions_managed_by(self.request.user).filter(pk=raw).first()
            if raw.isdigit() and len(raw) < 18
            else None
        )
        if found is None:
            raise NotFoundError("id", _("No webhook subscription with this id."))
        return found


class WebhookDetailView(_OneWebhook, generics.GenericAPIView):
    serializer_class = SubscriptionSerializer

    @extend_schema(
        operation_id="webhooks_retrieve",
        summary=_("One webhook subscription"),
        parameters=[WEBHOOK_ID],
        responses={200: SubscriptionSerializer, **READ_ONE_ERRORS},
        examples=[OpenApiExample("A subscription", value=WEBHOOK_EXAMPLE, response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_subscription()).data)

    @extend_schema(
        operation_id="webhooks_partial_update",
        summary=_("Change a webhook subscription"),
        description=_("Any subset of the fields; `active: true` switches it on again."),
        parameters=[WEBHOOK_ID],
        request=SubscriptionSerializer,
        responses={200: SubscriptionSerializer, **WRITE_ERRORS, 404: READ_ONE_ERRORS[404]},
        examples=[
            OpenApiExample("Switch on", value={"active": True}, request_only=True),
            OpenApiExample("Changed", value=WEBHOOK_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request, *args, **kwargs):
        subscription = self.get_subscription()
        body = SubscriptionSerializer(
            subscription, data=request.data, partial=True, context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        subscription = _save(
            user=request.user, values=dict(body.validated_data), subscription=subscription
        )
        return Response(self.get_serializer(subscription).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        summary=_("Delete a webhook subscription"),
        parameters=[WEBHOOK_ID],
        responses={204: None, **WRITE_ERRORS, 404: READ_ONE_ERRORS[404]},
    )
    def delete(self, request, *args, **kwargs):
        self.get_subscription().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesView(_OneWebhook, generics.ListAPIView):
    serializer_class = DeliverySerializer
    pagination_class = KeysetPagination
    ordering_fields = {"id": ("id", "int")}
    default_ordering = "-id"
    keyset_tiebreak = ("id", "int")

    def get_queryset(self):
        return deliveries_of(self.get_subscription()).prefetch_related("log")

    @extend_schema(
        operation_id="webhooks_deliveries",
        summary=_("A subscription's deliveries with every attempt"),
        description=_("Newest first; cursor-based pages."),
        parameters=[WEBHOOK_ID],
        responses={200: DeliverySerializer(many=True), **READ_ONE_ERRORS},
        examples=[OpenApiExample("A delivery", value=DELIVERY_EXAMPLE, response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
