"""The API's one error shape, `{"errors": [{"field", "reason"}, …]}`, and its schema.

Every refusal names the input it is about (a body field, a query or path
parameter, the `Authorization` header, or null when it is about the request
as a whole) and says why in words. Feed rows add their 0-based `index`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, serializers


class APIErrorItemSerializer(serializers.Serializer):
    index = serializers.IntegerField(
        required=False, help_text=_("0-based position of the rejected row (feed uploads only).")
    )
    field = serializers.CharField(
        allow_null=True,
        help_text=_(
            "The body field, query/path parameter or header at fault; null for the whole request."
        ),
    )
    reason = serializers.CharField(help_text=_("Why it was refused, in words."))


class APIErrorSerializer(serializers.Serializer):
    errors = APIErrorItemSerializer(many=True)


class InvalidParameter(exceptions.ValidationError):
    """A bad query or path parameter: 400 naming the parameter."""

    def __init__(self, field: str, reason):
        super().__init__({field: [reason]})


class NotFoundError(exceptions.NotFound):
    """404 that names the path parameter that matched nothing the caller may see."""

    def __init__(self, field: str | None, reason=None):
        super().__init__(reason or _("Not found."))
        self.field = field


def _flatten(detail, prefix: str | None = None) -> list[dict]:
    if isinstance(detail, dict):
        items = []
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__") else str(key)
            if prefix is not None:
                name = f"{prefix}.{name}" if name else prefix
            items.extend(_flatten(value, name))
        return items
    if isinstance(detail, list):
        items = []
        for position, value in enumerate(detail):
            if isinstance(value, dict | list):
                path = f"{prefix}.{position}" if prefix is not None else str(position)
                items.extend(_flatten(value, path))
            else:
                items.extend(_flatten(value, prefix))
        return items
    return [{"field": prefix, "reason": str(detail)}]


def api_exception_handler(exc, context):
    """DRF's handler, then the body rewritten to the one error shape."""
    # Imported here: rest_framework.views loads the authentication classes, which import this module.
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        errors = [{"field": getattr(exc, "field", None), "reason": str(detail)}]
    response.data = {"errors": errors}
    return response


def _example(name: str, field, reason: str) -> OpenApiExample:
    return OpenApiExample(name, value={"errors": [{"field": field, "reason": reason}]})


def error_response(description, *examples: OpenApiExample) -> OpenApiResponse:
    return OpenApiResponse(APIErrorSerializer, description=description, examples=list(examples))


BAD_REQUEST = error_response(
    _("Invalid input; each error names the field or parameter and the reason."),
    _example(
        "Malformed date", "date", "Must be a date as YYYY-MM-DD between 1900-01-01 and 2999-12-31."
    ),
)
UNAUTHORIZED = error_response(
    _("Missing, invalid, expired or revoked credentials."),
    _example("Expired token", "Authorization", "This token has expired."),
)
FORBIDDEN = error_response(
    _("Authenticated, but not allowed (e.g. a read-only token trying to write)."),
    _example(
        "Read-only token",
        None,
        "This API token is read-only; writes need a token created with --write.",
    ),
)
NOT_FOUND = error_response(
    _("Nothing the caller may see matches the path (other verticals' accounts look absent)."),
    _example("Unknown account", "external_id", "No account with this external_id."),
)
THROTTLED = error_response(
    _("Too many requests for this key; retry after the number of seconds in Retry-After."),
    _example("Throttled", None, "Request was throttled. Expected available in 42 seconds."),
)
UNSUPPORTED_MEDIA = error_response(
    _("The body is not JSON."),
    _example("Not JSON", None, 'Unsupported media type "text/plain" in request.'),
)

READ_ERRORS = {400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN, 429: THROTTLED}
READ_ONE_ERRORS = {**READ_ERRORS, 404: NOT_FOUND}
WRITE_ERRORS = {**READ_ERRORS, 415: UNSUPPORTED_MEDIA}
