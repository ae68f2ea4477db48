"""Tokens: hashed, expiring, revocable, read-only unless --write, throttled per key."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from tests.api.conftest import token_client
from verticals.api.auth import APIRateThrottle
from verticals.api.tokens import hash_key
from verticals.models import APIToken

pytestmark = pytest.mark.django_db

URL = "/api/v1/accounts/"


def test_create_api_token_prints_only_the_key_and_stores_its_hash(csm):
    out = io.StringIO()
    call_command("create_api_token", "csm_m", stdout=out)
    key = out.getvalue().strip()
    assert "\n" not in key and len(key) >= 40
    token = APIToken.objects.get()
    assert token.key_hash == hash_key(key) and key not in token.key_hash
    assert token.prefix == key[:8] and not token.can_write
    assert token.expires_at > timezone.now() + dt.timedelta(days=360)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(URL).status_code == 200
    assert APIToken.objects.get().last_used_at is not None


def test_create_api_token_write_flag_and_unknown_user(csm):
    call_command("create_api_token", "csm_m", "--write", stdout=io.StringIO())
    assert APIToken.objects.get().can_write
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=io.StringIO())


@pytest.mark.parametrize(
    "header",
    ["", "Token", "Token not-a-key", "Token a b", "Bearer x", "Token \u00e9t\u00e9"],
)
def test_missing_or_bad_credentials_are_401_json(db, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["errors"][0]["reason"]


def test_expired_token_is_refused(csm):
    client = token_client(csm, expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["errors"] == [
        {"field": "Authorization", "reason": "This token has expired."}
    ]


def test_revoked_token_is_refused(csm):
    client = token_client(csm)
    assert client.get(URL).status_code == 200
    APIToken.objects.update(revoked_at=timezone.now())
    response = client.get(URL)
    assert response.status_code == 401
    assert "revoked" in response.json()["errors"][0]["reason"]


def test_token_of_an_inactive_user_is_refused(csm):
    client = token_client(csm)
    csm.is_active = False
    csm.save()
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/visits/", {"account": "ent-1"}),
        ("/api/v1/usage/", []),
        ("/api/v1/connector-usage/", []),
    ],
)
def test_read_only_tokens_are_refused_on_every_write(csm, url, body):
    factories.AccountFactory(external_id="ent-1")
    response = token_client(csm).post(url, body, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["errors"][0]["reason"]


@override_settings(
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "verticals.api.auth.APITokenAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": [
            "rest_framework.permissions.IsAuthenticated",
            "verticals.api.auth.TokenWriteAllowed",
        ],
        "DEFAULT_THROTTLE_CLASSES": ["verticals.api.auth.APIRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"token": "3/min", "user": "3/min", "anon": "3/min"},
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
        "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    }
)
def test_throttling_is_per_token(csm):
    first, second = token_client(csm), token_client(csm)
    assert [first.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    response = first.get(URL)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["errors"][0]["reason"]
    # Another key of the same user has its own budget.
    assert second.get(URL).status_code == 200


def test_session_users_use_the_api_too(client, csm):
    client.force_login(csm)
    assert client.get(URL).status_code == 200


def test_admin_lists_tokens_without_the_key_and_revokes_them(client, superuser, csm):
    token_client(csm)
    token = APIToken.objects.get()
    client.force_login(superuser)
    page = client.get("/admin/verticals/apitoken/")
    assert page.status_code == 200
    assert token.prefix in page.content.decode()
    assert token.key_hash not in page.content.decode()
    change = client.get(f"/admin/verticals/apitoken/{token.pk}/change/").content.decode()
    assert token.key_hash not in change
    response = client.post(
        "/admin/verticals/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not site._registry[APIToken].has_add_permission(None)


def test_the_window_slides_the_previous_minute_out_gradually(csm, monkeypatch, settings):
    """10/min: a full minute, then half-way through the next one half its count still counts."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "10/min", "user": "10/min", "anon": "10/min"},
    }
    window = 60 * 1_000_000
    clock = [window + 15.0]  # a quarter into a minute
    monkeypatch.setattr(APIRateThrottle, "timer", staticmethod(lambda: clock[0]))
    client = token_client(csm)
    assert [client.get(URL).status_code for _ in range(10)] == [200] * 10
    refused = client.get(URL)
    # The 10 requests weigh fully until the next minute starts, then fade out over it.
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 45
    clock[0] = window + 60 + 30  # half-way through the next minute: 10 x 0.5 = 5 still count
    assert [client.get(URL).status_code for _ in range(6)] == [200] * 5 + [429]
    clock[0] += 6  # 10 x 0.4 + 5 < 10
    assert client.get(URL).status_code == 200
