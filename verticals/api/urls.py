"""Routes of the verticals API (mounted under /api/v1/)."""

from django.urls import path

from .views import VerticalListView

urlpatterns = [
    path("verticals/", VerticalListView.as_view(), name="api-verticals"),
]
