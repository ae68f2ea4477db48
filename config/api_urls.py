"""REST API routes (api/v1/…), the OpenAPI schema and its offline docs."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

v1 = [
    path("", include("accounts.api.urls")),
    path("", include("metrics.api.urls")),
    path("", include("verticals.api.urls")),
    path("", include("visits.api.urls")),
    path("", include("visits.api.planner")),
    path("", include("metrics.api.whatif")),
    path("", include("plays.api.urls")),
]


def unknown_endpoint(request, *args, **kwargs):
    """JSON 404 for paths under /api/v1/ that name no endpoint (the API never answers HTML)."""
    return JsonResponse(
        {"errors": [{"field": None, "reason": _("No such API endpoint: %s") % request.path}]},
        status=404,
    )


urlpatterns = [
    path("v1/", include(v1)),
    # After every endpoint; only paths ending in "/" so APPEND_SLASH still redirects the others.
    re_path(r"^v1/.*/$", unknown_endpoint),
    # The contract is public; the data behind it needs a token or a session.
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(
            url_name="schema", permission_classes=[AllowAny], authentication_classes=[]
        ),
        name="api-docs",
    ),
]
