"""Password sign-in: PASSWORD_LOGIN=superusers, TOTP for staff under STAFF_MFA=1, axes throttling."""

from __future__ import annotations

import base64
import logging
import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "pw-frontline-1"  # tests.factories.UserFactory's


def log_in(client, username, password=PASSWORD, next_url="/admin/"):
    return client.post(
        f"/admin/login/?next={next_url}", {"username": username, "password": password}
    )


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def test_password_sign_in_is_refused_to_a_non_superuser_under_superusers(
    client, settings, csm, superuser, caplog
):
    settings.PASSWORD_LOGIN = "superusers"
    with caplog.at_level(logging.WARNING, logger="frontline.signin"):
        response = log_in(client, csm.username)
    assert response.status_code == 200 and not signed_in(client)
    assert "Password sign-in is kept for superusers." in response.content.decode()
    assert any("password_login_superusers_only" in r.getMessage() for r in caplog.records)
    assert PASSWORD not in " ".join(r.getMessage() for r in caplog.records)

    # A wrong password says only what it always says: nothing about who may use passwords.
    response = log_in(client, csm.username, "not-her-password")
    assert "kept for superusers" not in response.content.decode()

    # With single sign-on configured the message points at it.
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    settings.OIDC_CLIENT_ID = "frontline"
    settings.OIDC_CLIENT_SECRET = "x"
    settings.OIDC_PROVIDER_NAME = "Acme SSO"
    response = log_in(client, csm.username)
    assert "Use “Sign in with Acme SSO” instead." in response.content.decode()

    # The break-glass superuser still signs in with a password.
    response = log_in(client, superuser.username)
    assert response.status_code == 302 and signed_in(client)


def test_password_sign_in_is_open_to_everyone_by_default(client, csm):
    assert log_in(client, csm.username).status_code == 302 and signed_in(client)


def test_axes_still_locks_out_repeated_password_failures(client, settings, csm):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        log_in(client, csm.username, "wrong-password")
    response = log_in(client, csm.username)
    assert response.status_code in (403, 429) and not signed_in(client)


def reset_throttles(user) -> None:
    """django-otp slows down tries after a refused code (1 s, 2 s, …); a test does not wait."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_count=0)


def _code(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the key it was given (30 s steps, 6 digits)."""
    counter = int(time.time()) // 30 + steps_ahead
    return f"{hotp(base64.b32decode(secret), counter):06d}"


def test_staff_signing_in_with_a_password_enrol_and_then_pass_totp(client, settings, csm):
    settings.STAFF_MFA = True
    response = log_in(client, csm.username, next_url="/admin/accounts/account/")
    assert response.status_code == 302 and signed_in(client)

    # Every page sends her to enrol first; the API refuses her session.
    response = client.get("/admin/accounts/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/?next=")
    api = client.get("/api/v1/accounts/")
    assert api.status_code == 403 and "authenticator" in api.json()["errors"][0]["reason"]

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="mfa-qr" src="data:image/svg+xml' in html
    device = TOTPDevice.objects.get(user=csm, confirmed=False)
    secret = re.search(r'id="mfa-secret">([A-Z2-7]+)<', html).group(1)

    wrong = client.post("/account/two-factor/", {"code": "000000", "next": "/admin/"})
    assert "not the one your app shows" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    reset_throttles(csm)

    done = client.post("/account/two-factor/", {"code": _code(secret), "next": "/admin/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert set(StaticToken.objects.filter(device__user=csm).values_list("token", flat=True)) == set(
        codes
    )
    assert client.get("/admin/accounts/account/").status_code == 200
    assert client.get("/api/v1/accounts/").status_code == 200

    # The next password sign-in asks for a code; a wrong one is refused and logged without it.
    client.post("/admin/logout/")
    log_in(client, csm.username)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(
        "/account/two-factor/verify/"
    )
    refused = client.post("/account/two-factor/verify/", {"code": "123456", "next": "/admin/"})
    assert refused.status_code == 200 and "That code is not right" in refused.content.decode()
    assert client.get("/admin/").status_code == 302
    reset_throttles(csm)
    # The app's next code (within django-otp's tolerance of one step) lets her in.
    ok = client.post(
        "/account/two-factor/verify/", {"code": _code(secret, steps_ahead=1), "next": "/admin/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    # A recovery code works once.
    for attempt in range(2):
        client.post("/admin/logout/")
        log_in(client, csm.username)
        response = client.post("/account/two-factor/verify/", {"code": codes[0], "next": "/admin/"})
        if attempt == 0:
            assert response.status_code == 302 and client.get("/admin/").status_code == 200
        else:
            assert response.status_code == 200 and client.get("/admin/").status_code == 302
        reset_throttles(csm)


def test_totp_is_not_asked_without_staff_mfa_nor_of_non_staff(client, settings, csm):
    assert log_in(client, csm.username).status_code == 302
    assert client.get("/admin/").status_code == 200
    settings.STAFF_MFA = True
    client_user = factories.UserFactory(username="reader")
    client.post("/admin/logout/")
    client.force_login(client_user)
    assert "authenticator" not in client.get("/api/v1/verticals/").content.decode()
    assert not TOTPDevice.objects.filter(user=client_user).exists()
    assert client.get("/account/two-factor/").status_code == 302
