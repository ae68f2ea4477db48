"""Routes of the health and feed API (mounted under /api/v1/)."""

from django.urls import path

from .views import (
    AccountHealthHistoryView,
    AccountHealthView,
    AppUsageIngestView,
    ConnectorUsageIngestView,
)

urlpatterns = [
    path(
        "accounts/<str:external_id>/health/",
        AccountHealthView.as_view(),
        name="api-account-health",
    ),
    path(
        "accounts/<str:external_id>/health/history/",
        AccountHealthHistoryView.as_view(),
        name="api-account-health-history",
    ),
    path("usage/", AppUsageIngestView.as_view(), name="api-usage"),
    path("connector-usage/", ConnectorUsageIngestView.as_view(), name="api-connector-usage"),
]
