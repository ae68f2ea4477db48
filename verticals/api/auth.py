"""How the REST API knows who is calling and what they may do: token authentication,
write permissions and per-key throttling.

People use their admin session; systems send `Authorization: Token KEY`
(keys from `create_api_token`, stored hashed). A token acts as its user, so
the user's vertical memberships scope everything it sees, exactly as in the
admin. Tokens are read-only unless issued with `--write`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.cache import cache
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core.api.errors import InvalidParameter
from verticals.models import APIToken
from verticals.selectors import has_company_role, remember_company_role

from .tokens import hash_key

logger = logging.getLogger("frontline.api")

# last_used_at is written at most this often per token, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# The throttle rate (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) of failed token look-ups per address.
AUTH_FAILURE_SCOPE = "auth_failure"


class TokenAuthenticationFailed(exceptions.AuthenticationFailed):
    """A refused `Authorization` header; the error names the header as the field."""

    field = "Authorization"


class APITokenAuthentication(BaseAuthentication):
    """`Authorization: Token KEY`: the key's SHA-256 hash is looked up; expired or revoked keys fail."""

    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise TokenAuthenticationFailed(_("Expected the header 'Authorization: Token KEY'."))
        # Before the key is looked up: an address that keeps failing is refused (429) whatever
        # key it sends next, so keys cannot be guessed at the speed of the API.
        guard = APIRateThrottle()
        address = guard.get_ident(request)
        if guard.over_limit(AUTH_FAILURE_SCOPE, address):
            logger.warning("api auth throttled: too many failed tokens from %s", address)
            raise exceptions.Throttled(wait=guard.wait())
        try:
            return self._authenticate_key(request, parts[1])
        except exceptions.AuthenticationFailed:
            guard.count(AUTH_FAILURE_SCOPE, address)
            raise

    def _authenticate_key(self, request, raw: bytes):
        try:
            key = raw.decode("ascii")
        except UnicodeDecodeError:
            raise TokenAuthenticationFailed(_("Invalid token.")) from None
        token = (
            APIToken.objects.select_related("user")
            # Every API view asks next what the caller may see: answered by this same query.
            .annotate(user_has_company_role=has_company_role(OuterRef("user_id")))
            .filter(key_hash=hash_key(key))
            .first()
        )
        address = request.META.get("REMOTE_ADDR", "")
        if token is None:
            # Never log the key itself.
            logger.warning("api auth failed: unknown token from %s", address)
            raise TokenAuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if token.revoked_at is not None:
            logger.warning("api auth failed: revoked token %s… from %s", token.prefix, address)
            raise TokenAuthenticationFailed(_("This token has been revoked."))
        if token.expires_at <= now:
            logger.warning("api auth failed: expired token %s… from %s", token.prefix, address)
            raise TokenAuthenticationFailed(_("This token has expired."))
        if not token.user.is_active:
            logger.warning("api auth failed: inactive user of token %s…", token.prefix)
            raise TokenAuthenticationFailed(_("The user of this token is inactive."))
        remember_company_role(token.user, token.user_has_company_role)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with WWW-Authenticate), not 403, when credentials are missing.
        return self.keyword


class APITokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "verticals.api.auth.APITokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(
                _(
                    "`Token KEY`, with a key printed by `manage.py create_api_token USERNAME "
                    "[--write]`. Read-only unless created with --write."
                )
            ),
        }


def calling_token(request) -> APIToken | None:
    return request.auth if isinstance(request.auth, APIToken) else None


class TokenWriteAllowed(permissions.BasePermission):
    """Read-only tokens may only read: any other method answers 403."""

    message = _("This API token is read-only; writes need a token created with --write.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        token = calling_token(request)
        if token is not None and not token.can_write:
            logger.warning(
                "api write refused: read-only token %s… on %s", token.prefix, request.path
            )
            return False
        return True


class HasModelAddPermission(permissions.BasePermission):
    """Writes need the model's add permission (as in the admin); `view.add_permission` names it.

    With `view.token_write_suffices`, a write token is enough on its own: feed
    ingestion is done by systems (api_client users) that hold no admin rights.
    """

    message = _("You do not have permission to add these records.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        token = calling_token(request)
        if token is not None and getattr(view, "token_write_suffices", False):
            allowed = token.can_write
        elif token is None and getattr(view, "session_needs_staff", False) and not user.is_staff:
            allowed = False
        else:
            allowed = user.has_perm(view.add_permission)
        if not allowed:
            logger.warning("api write refused: user %s on %s", user.pk, request.path)
        return allowed


class APIRateThrottle(SimpleRateThrottle):
    """Requests per API key (per user for sessions, per address when anonymous).

    Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (`token`, `user`,
    `anon`), read on every request so settings overrides apply. The counters
    live in the cache: use the shared Redis cache (CACHE_URL) with several
    processes.

    A sliding window estimated from two fixed-window counters (the previous
    window's count weighted by the share of it still inside the sliding
    window), not DRF's list of request times: that list is read and written
    whole on every request - 18,000 timestamps a request at 300 requests/s -
    and two processes writing it at once lose each other's requests, where a
    counter is incremented atomically.
    """

    def __init__(self):
        # DRF's __init__ reads one fixed scope's rate; ours depends on the caller (allow_request).
        pass

    def allow_request(self, request, view) -> bool:
        token = calling_token(request)
        if token is not None:
            scope, ident = "token", str(token.pk)
        elif request.user and request.user.is_authenticated:
            scope, ident = "user", str(request.user.pk)
        else:
            scope, ident = "anon", self.get_ident(request)
        return self.count_unless_over(scope, ident)

    def _rate(self, scope: str) -> tuple[int, int] | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        return None if rate is None else self.parse_rate(rate)

    def _keys(self, scope: str, ident: str, duration: int) -> tuple[str, str, float]:
        window, into = divmod(self.timer(), duration)
        current_key = f"throttle:{scope}:{ident}:{int(window)}"
        previous_key = f"throttle:{scope}:{ident}:{int(window) - 1}"
        return previous_key, current_key, into / duration

    def over_limit(self, scope: str, ident: str) -> bool:
        """Whether `ident` is over the scope's rate (and `wait()` says for how long); counts nothing."""
        rate = self._rate(scope)
        if rate is None:
            return False
        allowed, duration = rate
        previous_key, current_key, elapsed = self._keys(scope, ident, duration)
        counts = cache.get_many([previous_key, current_key])
        previous, current = counts.get(previous_key, 0), counts.get(current_key, 0)
        if previous * (1 - elapsed) + current >= allowed:
            self._wait = _seconds_until_allowed(previous, current, allowed, elapsed) * duration
            return True
        return False

    def count(self, scope: str, ident: str) -> None:
        rate = self._rate(scope)
        if rate is None:
            return
        duration = rate[1]
        current_key = self._keys(scope, ident, duration)[1]
        if not cache.add(current_key, 1, timeout=2 * duration + 1):
            try:
                cache.incr(current_key)
            except ValueError:  # expired between add and incr
                cache.add(current_key, 1, timeout=2 * duration + 1)

    def count_unless_over(self, scope: str, ident: str) -> bool:
        if self.over_limit(scope, ident):
            return False
        self.count(scope, ident)
        return True

    def wait(self) -> float:
        # Rounded so that float noise (59.000000001) does not add a second to Retry-After.
        return max(round(getattr(self, "_wait", 1.0), 3), 1.0)


def _seconds_until_allowed(previous: int, current: int, allowed: int, elapsed: float) -> float:
    """Windows (fractions of the rate's duration) until the estimate drops below `allowed`."""
    if current >= allowed:
        # Next window: the current count becomes the weighted previous one.
        return (1 - elapsed) + (1 - allowed / current)
    return (1 - (allowed - current) / previous) - elapsed


class SingleValuedQueryParameters(permissions.BasePermission):
    """Refuse a query parameter given more than once (`?date=x&date=y`) with a 400 naming it.

    No parameter of this API takes several values; silently using one of them
    would answer a question the client did not ask. Runs for every API view
    (it is a default permission class), after authentication.
    """

    def has_permission(self, request, view):
        for name in request.query_params:
            if len(request.query_params.getlist(name)) > 1:
                raise InvalidParameter(name, _("Given more than once; give it once."))
        return True
