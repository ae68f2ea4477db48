"""Authentication backends: passwords (limited by PASSWORD_LOGIN) and the OpenID Connect provider.

A person signed in by the provider is matched by their verified email, else by
`preferred_username`; created only with OIDC_CREATE_USERS=1. With OIDC_ROLES_CLAIM their
memberships are set from that claim at every sign-in, through `set_memberships`, which parses and
applies the entries exactly as `import_people` does its rows.
"""

from __future__ import annotations

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify

from verticals.services import role_rows, set_memberships

from . import provider

logger = logging.getLogger("frontline.signin")

PROVIDER_BACKEND = "verticals.signin.backends.ProviderBackend"


def signed_in_with_provider(request) -> bool:
    """Whether this session's person signed in through the OpenID Connect provider."""
    return request.session.get(BACKEND_SESSION_KEY) == PROVIDER_BACKEND


class PasswordBackend(ModelBackend):
    """Django's username and password check; under PASSWORD_LOGIN=superusers, superusers only.

    A refused person is marked on the request so a login form can say why; the refusal
    counts as a failed login for django-axes like a wrong password.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            return None
        if settings.PASSWORD_LOGIN == "superusers" and not user.is_superuser:
            logger.warning(
                "password sign-in refused user=%s reason=password_login_superusers_only",
                user.get_username(),
            )
            if request is not None:
                request.password_login_refused = True
            return None
        return user


class SignInRefused(SuspiciousOperation):
    """The provider's answer does not sign anyone in; the message is safe to log (no tokens)."""

    def __init__(self, reason: str, *, unknown_person: bool = False):
        super().__init__(reason)
        self.unknown_person = unknown_person


def _verified_email(claims: dict) -> str:
    email = claims.get("email")
    verified = claims.get("email_verified")
    if isinstance(email, str) and email and (verified is True or verified == "true"):
        return email
    return ""


def _roles(claims: dict) -> list[str]:
    value = claims.get(settings.OIDC_ROLES_CLAIM)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise SignInRefused(f"the claim {settings.OIDC_ROLES_CLAIM} is not a list of strings")


class ProviderBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend: endpoints from discovery, the ID token checked in full.

    Beyond the library (signature, nonce): the issuer, the audience, expiry and the presence of
    `exp`, `iat` and `sub`; the userinfo must be about the same subject. Anything wrong raises
    SignInRefused, which the callback view logs and answers with a message, never a 500.
    """

    get_settings = staticmethod(provider.library_setting)
    OIDC_RP_SIGN_ALGO = provider.SIGNING_ALGORITHM
    OIDC_RP_IDP_SIGN_KEY = None

    def __init__(self, *args, **kwargs):
        # The library reads every endpoint here; Django builds a backend for each request of
        # a signed-in person, so ours are read from discovery only when a sign-in needs them.
        self.UserModel = get_user_model()

    @property
    def OIDC_RP_CLIENT_ID(self):
        return settings.OIDC_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self):
        return settings.OIDC_CLIENT_SECRET

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):
        return provider.endpoint("token_endpoint")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):
        return provider.endpoint("jwks_uri")

    @property
    def OIDC_OP_USER_ENDPOINT(self):
        return provider.endpoint("userinfo_endpoint", required=False)

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce; a password form never reaches the provider.
        if request is None or "nonce" not in kwargs or "password" in kwargs:
            return None
        if not provider.is_configured():
            return None
        self.request = request
        code = request.GET.get("code")
        if not code or not request.GET.get("state"):
            return None
        token_payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": absolutify(request, reverse("oidc_authentication_callback")),
        }
        if kwargs.get("code_verifier") is not None:
            token_payload["code_verifier"] = kwargs["code_verifier"]
        try:
            token_info = self.get_token(token_payload)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "none"
            raise SignInRefused(f"the token endpoint refused the code (HTTP {status})") from None
        except (requests.RequestException, ValueError, provider.ProviderUnavailable) as exc:
            raise SignInRefused(f"the token endpoint failed ({exc.__class__.__name__})") from None
        id_token = token_info.get("id_token")
        if not id_token:
            raise SignInRefused("the token response has no ID token")
        payload = self.verify_token(id_token, nonce=kwargs.get("nonce"))
        return self.get_or_create_user(token_info.get("access_token"), id_token, payload)

    def verify_token(self, token, **kwargs):
        try:
            return super().verify_token(token, **kwargs)
        except SignInRefused:
            raise
        except SuspiciousOperation as exc:
            # The library's own checks: the signing key, the algorithm, the nonce.
            raise SignInRefused(f"the ID token was refused: {exc}") from None
        except (jwt.PyJWTError, requests.RequestException) as exc:
            raise SignInRefused(f"the ID token was refused ({exc.__class__.__name__})") from None

    def _verify_jws(self, payload, key):
        try:
            alg = jwt.get_unverified_header(payload).get("alg")
            if alg != self.OIDC_RP_SIGN_ALGO:
                raise SignInRefused(f"the ID token is signed with {alg!r}, not RS256")
            return jwt.decode(
                payload,
                key,
                algorithms=[alg],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise SignInRefused("the ID token has expired") from None
        except jwt.PyJWTError as exc:
            raise SignInRefused(f"the ID token is invalid ({exc.__class__.__name__})") from None

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, completed by the userinfo endpoint's when the provider has one."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT and access_token:
            try:
                userinfo = super().get_userinfo(access_token, id_token, payload)
            except (requests.RequestException, ValueError) as exc:
                raise SignInRefused(
                    f"the userinfo endpoint failed ({exc.__class__.__name__})"
                ) from None
            if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
                raise SignInRefused("the userinfo answer is about another subject")
            claims.update(userinfo)
        return claims

    def filter_users_by_claims(self, claims):
        email = _verified_email(claims)
        if email:
            by_email = self.UserModel.objects.filter(email__iexact=email)
            if by_email.exists():
                return by_email
        username = claims.get("preferred_username")
        if isinstance(username, str) and username:
            return self.UserModel.objects.filter(username=username)
        return self.UserModel.objects.none()

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        roles = _roles(claims) if settings.OIDC_ROLES_CLAIM else None
        users = list(self.filter_users_by_claims(claims)[:2])
        if len(users) > 1:
            raise SignInRefused("more than one person has this verified email")
        if users:
            user = users[0]
        elif settings.OIDC_CREATE_USERS:
            user = self.create_user(claims)
        else:
            raise SignInRefused(
                "no person here matches the verified email or preferred_username "
                "(OIDC_CREATE_USERS is off)",
                unknown_person=True,
            )
        if not user.is_active:
            raise SignInRefused(f"user={user.get_username()} is inactive")
        if roles is not None:
            self.set_roles(user, claims, roles)
        return user

    def create_user(self, claims):
        username = claims.get("preferred_username")
        try:
            if not isinstance(username, str) or not username or len(username) > 150:
                raise ValidationError("missing")
            UnicodeUsernameValidator()(username)
        except ValidationError:
            raise SignInRefused(
                "cannot create a person: preferred_username is missing or not a valid username",
                unknown_person=True,
            ) from None
        name = claims.get("name") if isinstance(claims.get("name"), str) else ""
        user = self.UserModel.objects.create_user(
            username, email=_verified_email(claims), first_name=name[:150]
        )
        logger.info("sso created user=%s", username)
        return user

    def set_roles(self, user, claims, roles: list[str]) -> None:
        name = claims.get("name") if isinstance(claims.get("name"), str) else ""
        rows = role_rows(
            user=user, full_name=name[:150], email=_verified_email(claims), roles=roles
        )
        sync = set_memberships(user=user, rows=rows)
        for error in sync.report.rejected:
            logger.warning(
                "sso role ignored user=%s entry=%d value=%r field=%s reason=%s",
                user.get_username(),
                error.line,
                roles[error.line - 1][:80],
                error.field,
                error.reason,
            )
        logger.info(
            "sso roles set user=%s held=%d added=%d removed=%d",
            user.get_username(),
            len(roles) - len(sync.report.rejected),
            sync.report.loaded,
            sync.removed,
        )
