"""Each logged-in person sees the site in the language they chose, whichever browser they use."""

from __future__ import annotations

from django.utils import translation

from .services import SESSION_LANGUAGE_KEY, preferred_language


class PersonLanguageMiddleware:
    """After LocaleMiddleware and AuthenticationMiddleware: the person's stored language wins.

    The choice is read once per session (logging in refreshes it, see verticals.apps) and
    then comes from the session; a browser's cookie or Accept-Language decides only for
    people who never chose, and for anonymous pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            if SESSION_LANGUAGE_KEY not in request.session:
                request.session[SESSION_LANGUAGE_KEY] = preferred_language(user)
            language = request.session[SESSION_LANGUAGE_KEY]
            if language and language != request.LANGUAGE_CODE:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
