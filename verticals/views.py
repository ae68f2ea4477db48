"""The language switcher: Django's, also keeping a signed-in person's choice with them."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language as django_set_language

from . import services


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switcher, which also keeps a logged-in person's choice with them."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
    ):
        services.remember_language(user=request.user, language=language)
        request.session[services.SESSION_LANGUAGE_KEY] = language
    return response
