"""One real OpenID Connect provider process for the module, and the settings that point at it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.sso.provider_process import (
    CLIENT_ID,
    CLIENT_SECRET,
    ProviderProcess,
    sign_in_at_provider,
)

ROLES_CLAIM = "frontline_roles"


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory):
    provider = ProviderProcess(
        tmp_path_factory.mktemp("oidc-provider"),
        redirect_uris=["http://testserver/oidc/callback/"],
        extra_claims=[ROLES_CLAIM],
    )
    yield provider
    provider.stop()


@pytest.fixture
def sso(settings, oidc_provider):
    """Frontline configured for the test provider, as the README says to."""
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_ROLES_CLAIM = ROLES_CLAIM
    settings.OIDC_CREATE_USERS = False
    return oidc_provider


def start_sign_in(client, next_url: str = "/admin/") -> str:
    """Click "Sign in with …": the authorization URL Frontline sends the browser to."""
    response = client.get("/oidc/authenticate/", {"next": next_url})
    assert response.status_code == 302, response
    return response["Location"]


def sign_in(client, login: str, password: str = "pw-at-provider"):
    """The whole sign-in: Frontline → provider's login form → back to Frontline's callback."""
    callback = sign_in_at_provider(start_sign_in(client), login, password)
    parts = urlsplit(callback)
    assert parts.path == "/oidc/callback/", callback
    return client.get(f"{parts.path}?{parts.query}")
