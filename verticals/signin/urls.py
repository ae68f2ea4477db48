"""Sign-in URLs: the provider's start and callback (register the callback at the provider), TOTP."""

from django.urls import path

from . import mfa, views

urlpatterns = [
    path("oidc/authenticate/", views.ProviderLoginView.as_view(), name="oidc_authentication_init"),
    path(
        "oidc/callback/", views.ProviderCallbackView.as_view(), name="oidc_authentication_callback"
    ),
    path("account/two-factor/", mfa.setup, name="mfa_setup"),
    path("account/two-factor/verify/", mfa.verify, name="mfa_verify"),
]
