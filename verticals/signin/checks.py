"""System checks of the sign-in settings: half a provider configuration, a provider over http."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

_PROVIDER_SETTINGS = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")


@checks.register(checks.Tags.security)
def single_sign_on_is_whole(app_configs, **kwargs):
    present = [name for name in _PROVIDER_SETTINGS if getattr(settings, name)]
    if present and len(present) < len(_PROVIDER_SETTINGS):
        missing = ", ".join(n for n in _PROVIDER_SETTINGS if n not in present)
        return [
            checks.Warning(
                f"Single sign-on is off: {missing} not set.",
                hint="Set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together.",
                id="frontline.W001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def provider_over_https(app_configs, **kwargs):
    if settings.OIDC_ISSUER and not settings.OIDC_ISSUER.startswith("https://"):
        return [
            checks.Warning(
                "OIDC_ISSUER is not an https URL: the client secret and tokens would cross "
                "the network in the clear.",
                id="frontline.W002",
            )
        ]
    return []
