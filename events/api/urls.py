"""Routes of the webhooks API (mounted under /api/v1/)."""

from django.urls import path

from .views import WebhookDeliveriesView, WebhookDetailView, WebhookListView

urlpatterns = [
    path("webhooks/", WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<str:id>/", WebhookDetailView.as_view(), name="api-webhook"),
    path(
        "webhooks/<str:id>/deliveries/",
        WebhookDeliveriesView.as_view(),
        name="api-webhook-deliveries",
    ),
]
