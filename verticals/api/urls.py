"""Routes of the verticals API (mounted under /api/v1/)."""

from django.urls import path

from .views import VerticalListView, VerticalPipelineView

urlpatterns = [
    path("verticals/", VerticalListView.as_view(), name="api-verticals"),
    path(
        "verticals/<str:code>/pipeline/",
        VerticalPipelineView.as_view(),
        name="api-vertical-pipeline",
    ),
]
