"""Starting and finishing a sign-in at the OpenID Connect provider, and logging out of both.

Built on mozilla-django-oidc's views (state, nonce and PKCE kept in the session, one use each).
A refused sign-in is logged with its reason — never a token or a code — and the person is sent
back to the login page with a message; nothing here answers a 500.
"""

from __future__ import annotations

import logging

from django.contrib import admin, messages
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from . import provider
from .backends import SignInRefused, signed_in_with_provider

logger = logging.getLogger("frontline.signin")


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _failed(request, message: str) -> HttpResponseRedirect:
    messages.error(request, message)
    return redirect(provider.library_setting("LOGIN_REDIRECT_URL_FAILURE"))


class ProviderLoginView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider's authorization endpoint (code flow, PKCE, nonce)."""

    get_settings = staticmethod(provider.library_setting)

    def __init__(self, **kwargs):
        # The library reads the endpoint here; ours comes from discovery in get().
        View.__init__(self, **kwargs)

    def get(self, request):
        if not provider.is_configured():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider.endpoint("authorization_endpoint")
        except provider.ProviderUnavailable as exc:
            logger.warning("sso sign-in not started reason=%s", exc)
            return _failed(
                request,
                _("%(provider)s cannot be reached right now; try again in a moment.")
                % {"provider": provider.provider_name()},
            )
        self.OIDC_RP_CLIENT_ID = provider.library_setting("OIDC_RP_CLIENT_ID")
        return super().get(request)


class ProviderCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back with a code; signs the person in or says why not."""

    get_settings = staticmethod(provider.library_setting)
    reason = ""
    unknown_person = False

    def get(self, request):
        if not provider.is_configured():
            raise Http404
        if request.GET.get("error"):
            self.reason = f"the provider answered error={request.GET['error'][:64]!r}"
        elif "oidc_states" not in request.session:
            self.reason = "no sign-in was started in this browser session"
        try:
            return super().get(request)
        except SignInRefused as exc:
            self.reason = str(exc)
            self.unknown_person = exc.unknown_person
        except SuspiciousOperation:
            # The library's refusal of a `state` this session did not issue.
            self.reason = "the state does not match a sign-in started in this session"
        return self.login_failure()

    def login_success(self):
        logger.info(
            "sso sign-in user=%s address=%s",
            self.user.get_username(),
            _client_address(self.request),
        )
        return super().login_success()

    def login_failure(self):
        user = getattr(self, "user", None)
        if not self.reason and user is not None and not user.is_active:
            self.reason = "the person is inactive"
        logger.warning(
            "sso sign-in refused reason=%s address=%s",
            self.reason or "no person signed in",
            _client_address(self.request),
        )
        name = provider.provider_name()
        if self.unknown_person:
            message = _(
                "You signed in at %(provider)s, but nobody with your email or username works "
                "here yet. Ask an administrator to add you."
            )
        else:
            message = _("Signing in with %(provider)s did not work. Please try again.")
        return _failed(self.request, message % {"provider": name})


def logout(request):
    """The admin's logout; a person who came through the provider is logged out there too.

    The local session always ends. When the provider offers an end_session_endpoint, the
    browser is then sent there (RP-initiated logout) and comes back to the login page.
    """
    if request.method == "POST" and signed_in_with_provider(request):
        end_session = provider.end_session_url(request)
        if end_session:
            auth_logout(request)
            return HttpResponseRedirect(end_session)
    return admin.site.logout(request)
