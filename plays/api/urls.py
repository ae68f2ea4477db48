"""Routes of the plays API (mounted under /api/v1/)."""

from django.urls import path

from .views import CTADetailView, CTAListView, PlayListView

urlpatterns = [
    path("plays/", PlayListView.as_view(), name="api-plays"),
    path("ctas/", CTAListView.as_view(), name="api-ctas"),
    path("ctas/<str:id>/", CTADetailView.as_view(), name="api-cta"),
]
