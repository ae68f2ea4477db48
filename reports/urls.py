"""Pages of the COO's pipeline review (included at the site root by config/urls.py)."""

from django.urls import path

from reports.account_views import account_detail

from . import views

urlpatterns = [
    path("pipeline/", views.pipeline_overview, name="pipeline"),
    path("pipeline/<slug:code>/", views.vertical_pipeline, name="vertical-pipeline"),
    path("accounts/<str:external_id>/", account_detail, name="account-detail"),
]
