"""Routes of the visits API (mounted under /api/v1/)."""

from django.urls import path

from .views import VisitListCreateView

urlpatterns = [path("visits/", VisitListCreateView.as_view(), name="api-visits")]
