"""Every error under /api/ in the API's JSON envelope, also when Django refuses before DRF runs.

Django answers some requests itself with an HTML page: a disallowed Host
header or a body over DATA_UPLOAD_MAX_MEMORY_SIZE (400), a CSRF failure
(403), a path no route matches (404), a crash (500), and in DEBUG its
technical pages. An API client parses JSON, so this middleware, outermost,
rewrites any non-JSON error response under /api/ to
`{"errors": [{"field": null, "reason": ...}]}` with the same status.
"""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as html_csrf_failure

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _body_too_large(request) -> bool:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return limit is not None and length > limit


def _host_refused(request) -> bool:
    try:
        request.get_host()
    except DisallowedHost:
        return True
    return False


def _reason(request, status: int) -> str:
    if status == 400 and _body_too_large(request):
        return _("The body is larger than %(n)d bytes.") % {
            "n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        }
    if status == 400 and _host_refused(request):
        return _("The Host header names a host this server does not answer for.")
    if status == 404:
        return _("No such API endpoint: %s") % request.path
    if status == 403:
        return _("Forbidden.")
    if status >= 500:
        return _("Server error; it has been logged.")
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _("Refused.")


def envelope(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"errors": [{"field": None, "reason": reason}]}, status=status)


class APIErrorEnvelopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and _is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replacement = envelope(response.status_code, _reason(request, response.status_code))
            for header in ("Retry-After", "WWW-Authenticate", "Allow"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the envelope under /api/, Django's page elsewhere."""
    if _is_api(request):
        return envelope(403, _("CSRF verification failed: %(reason)s") % {"reason": reason})
    return html_csrf_failure(request, reason=reason)
