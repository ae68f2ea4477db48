"""A CSM clicks "Sign in with …" in real headless Chromium, signs in at a real provider, lands in the admin."""

from __future__ import annotations

import pytest

from tests import factories
from tests.browser.conftest import login
from tests.sso.provider_process import CLIENT_ID, CLIENT_SECRET, ProviderProcess

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module")
def provider_for_live_server(live_server, tmp_path_factory):
    provider = ProviderProcess(
        tmp_path_factory.mktemp("oidc-provider-browser"),
        redirect_uris=[f"{live_server.url}/oidc/callback/"],
        extra_claims=["groups"],
    )
    yield provider
    provider.stop()


def test_a_csm_signs_in_with_the_provider_and_lands_in_the_admin(
    page, live_server, settings, provider_for_live_server, screenshot_dir
):
    provider = provider_for_live_server
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Acme ID"
    settings.OIDC_ROLES_CLAIM = "groups"
    settings.STAFF_MFA = True  # not asked of people the provider signed in
    mei = factories.UserFactory(username="mchen", email="mei.chen@example.com", first_name="")
    factories.AccountFactory(name="Haier Works")
    factories.AccountFactory(name="Yonghui Stores", vertical=factories.vertical("consumer_retail"))
    provider.set_person(
        "mei",
        password="correct horse",
        email="mei.chen@example.com",
        email_verified=True,
        name="Mei Chen",
        preferred_username="mei.chen",
        groups=["csm:manufacturing"],
    )

    page.goto(f"{live_server.url}/admin/login/?next=/admin/accounts/account/")
    page.screenshot(path=str(screenshot_dir / "sso-login-page.png"))
    page.click("text=Sign in with Acme ID")
    page.wait_for_selector("#login")
    assert page.url.startswith(provider.issuer + "/interaction/")
    page.fill("#login", "mei")
    page.fill("#password", "correct horse")
    page.click("#submit")
    page.wait_for_url(f"{live_server.url}/admin/accounts/account/**")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "Haier Works" in rows.first.inner_text()
    assert "Mei Chen" in page.locator("#user-tools").text_content()
    page.screenshot(path=str(screenshot_dir / "sso-csm-in-admin.png"))
    mei.refresh_from_db()
    assert mei.is_staff and mei.memberships.get().vertical.code == "manufacturing"


def test_staff_with_a_password_enrol_totp_from_the_qr_code_page(
    page, live_server, settings, screenshot_dir
):
    import base64
    import time

    from django_otp.oath import hotp

    settings.STAFF_MFA = True
    factories.person("lead", "agri_food", username="lead_browser")
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    login(page, live_server, "lead_browser", "pw-frontline-1")
    assert "/account/two-factor/" in page.url
    qr = page.locator("#mfa-qr")
    qr.wait_for()
    # The QR code is an SVG data URI: the Content-Security-Policy lets it show.
    assert page.evaluate("document.getElementById('mfa-qr').naturalWidth") > 0
    page.screenshot(path=str(screenshot_dir / "mfa-enrol.png"))
    secret = page.locator("#mfa-secret").inner_text().strip()
    code = f"{hotp(base64.b32decode(secret), int(time.time()) // 30):06d}"
    page.fill("#id_code", code)
    page.click("input[type=submit]")
    page.wait_for_selector("#recovery-codes")
    assert page.locator("#recovery-codes li").count() == 10
    page.click("text=Continue")
    page.wait_for_selector("#site-name")
    assert page.url == f"{live_server.url}/admin/"
    assert not [m for m in messages if "Content Security Policy" in m]
