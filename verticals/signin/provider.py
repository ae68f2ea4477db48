"""The company's OpenID Connect provider: whether it is configured, and its discovery document.

Endpoints are not configured one by one: they come from the issuer's
`/.well-known/openid-configuration`, read when first needed and kept in the cache for an hour.
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

logger = logging.getLogger("frontline.signin")

DISCOVERY_SECONDS = 60 * 60
HTTP_TIMEOUT_SECONDS = 10
SIGNING_ALGORITHM = "RS256"


class ProviderUnavailable(Exception):
    """The discovery document could not be read, or does not describe the configured issuer."""


def is_configured() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID and settings.OIDC_CLIENT_SECRET)


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME


def _discovery_url() -> str:
    return settings.OIDC_ISSUER.rstrip("/") + "/.well-known/openid-configuration"


def discovery() -> dict:
    """The provider's metadata; raises ProviderUnavailable when it cannot be had."""
    issuer = settings.OIDC_ISSUER
    key = "frontline:oidc-discovery:" + hashlib.sha256(issuer.encode()).hexdigest()
    document = cache.get(key)
    if document is None:
        try:
            response = requests.get(_discovery_url(), timeout=HTTP_TIMEOUT_SECONDS)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(
                f"discovery at {_discovery_url()} failed ({exc.__class__.__name__})"
            ) from None
        if not isinstance(document, dict) or document.get("issuer") != issuer:
            raise ProviderUnavailable(
                "the discovery document names another issuer than OIDC_ISSUER"
            )
        cache.set(key, document, DISCOVERY_SECONDS)
    return document


def endpoint(name: str, *, required: bool = True) -> str | None:
    value = discovery().get(name)
    if not value and required:
        raise ProviderUnavailable(f"the discovery document has no {name}")
    return value or None


# mozilla-django-oidc reads its settings through `get_settings`; ours come from the variables
# DESIGN.md names and from discovery, so the library's own setting names never need setting.
_FIXED = {
    "OIDC_RP_SIGN_ALGO": SIGNING_ALGORITHM,
    "OIDC_USE_NONCE": True,
    "OIDC_USE_PKCE": True,
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
    "OIDC_TOKEN_USE_BASIC_AUTH": True,
    "OIDC_TIMEOUT": HTTP_TIMEOUT_SECONDS,
    "OIDC_STORE_ACCESS_TOKEN": False,
    "OIDC_STORE_ID_TOKEN": False,
    "OIDC_VERIFY_SSL": True,
    "OIDC_REDIRECT_FIELD_NAME": "next",
    "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc_authentication_callback",
}
_FROM_SETTINGS = {
    "OIDC_RP_CLIENT_ID": "OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "OIDC_CLIENT_SECRET",
    "OIDC_RP_SCOPES": "OIDC_SCOPES",
    "OIDC_CREATE_USER": "OIDC_CREATE_USERS",
}
_DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_MISSING = object()


def library_setting(attr: str, default=_MISSING):
    """mozilla-django-oidc's `get_settings`, answered from our settings and the discovery document."""
    if attr in _FIXED:
        return _FIXED[attr]
    if attr in _FROM_SETTINGS:
        return getattr(settings, _FROM_SETTINGS[attr])
    if attr in _DISCOVERED:
        return endpoint(_DISCOVERED[attr])
    if attr == "OIDC_OP_USER_ENDPOINT":
        return endpoint("userinfo_endpoint", required=False)
    if attr in ("LOGIN_REDIRECT_URL_FAILURE",):
        return reverse(settings.LOGIN_URL)
    value = getattr(settings, attr, default)
    if value is _MISSING:
        raise AttributeError(attr)
    return value


def end_session_url(request) -> str | None:
    """Where to send the browser to end the provider's session too, if the provider offers it."""
    if not is_configured():
        return None
    try:
        end_session = endpoint("end_session_endpoint", required=False)
    except ProviderUnavailable as exc:
        logger.warning("sso logout: provider session not ended reason=%s", exc)
        return None
    if not end_session:
        return None
    query = urlencode(
        {
            "client_id": settings.OIDC_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse(settings.LOGIN_URL)),
        }
    )
    return f"{end_session}{'&' if '?' in end_session else '?'}{query}"
