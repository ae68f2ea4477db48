"""The visit planner page, included at the site root by config/urls.py."""

from django.urls import path

from . import plan_views as views

urlpatterns = [
    path("plan/", views.visit_plan, name="visit-plan"),
]
