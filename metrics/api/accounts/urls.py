"""Routes of the accounts API (mounted under /api/v1/)."""

from django.urls import path

from .views import AccountDetailView, AccountListView

urlpatterns = [
    path("accounts/", AccountListView.as_view(), name="api-accounts"),
    path("accounts/<str:external_id>/", AccountDetailView.as_view(), name="api-account"),
]
