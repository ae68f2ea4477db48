"""REST API routes (api/v1/…), the OpenAPI schema and its offline docs."""

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, include, path, re_path, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

v1 = [
    path("", include("metrics.api.accounts.urls")),
    path("", include("metrics.api.urls")),
    path("", include("verticals.api.urls")),
    path("", include("reports.api.pipeline")),
    path("", include("visits.api.urls")),
    path("", include("reports.api.planner")),
    path("", include("metrics.api.whatif")),
    path("", include("plays.api.urls")),
    path("", include("events.api.urls")),
]


@csrf_exempt  # a 404 changes nothing; without this a write would get the HTML CSRF page
def unknown_endpoint(request, *args, **kwargs):
    """JSON 404 for paths under /api/v1/ that name no endpoint (the API never answers HTML).

    A GET of an endpoint without its trailing slash is redirected to it, as
    APPEND_SLASH would; other methods cannot follow a redirect with their
    body, so they get the 404.
    """
    if not request.path.endswith("/") and request.method in ("GET", "HEAD"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown_endpoint:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(
                request.path + "/" + ("?" + query if query else "")
            )
    return JsonResponse(
        {"errors": [{"field": None, "reason": _("No such API endpoint: %s") % request.path}]},
        status=404,
    )


urlpatterns = [
    path("v1/", include(v1)),
    # After every endpoint.
    re_path(r"^v1/", unknown_endpoint),
    # The contract is public; the data behind it needs a token or a session.
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
        name="schema",
    ),
    path(
        "docs/",
        # The split view serves Swagger UI's start-up script as a file (no inline script, for
        # the Content-Security-Policy); the template moves the page's inline style to a file too.
        SpectacularSwaggerSplitView.as_view(
            url_name="schema",
            template_name="api/swagger_ui.html",
            permission_classes=[AllowAny],
            authentication_classes=[],
        ),
        name="api-docs",
    ),
]
