from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerticalsConfig(AppConfig):
    name = "verticals"
    verbose_name = _("Verticals")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .services import SESSION_LANGUAGE_KEY, preferred_language
        from .signin import checks  # noqa: F401 (registers the sign-in settings' checks)

        def apply_the_persons_language(sender, request, user, **kwargs):
            # Read once at login; PersonLanguageMiddleware applies it on each request after.
            if hasattr(request, "session"):
                request.session[SESSION_LANGUAGE_KEY] = preferred_language(user)

        user_logged_in.connect(
            apply_the_persons_language, weak=False, dispatch_uid="person-language"
        )
