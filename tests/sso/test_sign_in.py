"""Staff sign in at a real OpenID Connect provider process (npm's oidc-provider on 127.0.0.1).

Nothing of the provider is mocked: discovery, the authorization endpoint and its login form, the
token endpoint with PKCE, the JWKS, the userinfo endpoint and end-session are the provider's own.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests import factories
from tests.sso.conftest import sign_in, start_sign_in
from tests.sso.provider_process import SLOW_CLIENT_ID, sign_in_at_provider
from verticals.models import Membership

pytestmark = pytest.mark.django_db

User = get_user_model()


def mei_at_provider(provider, roles, **claims):
    provider.set_person(
        "mei",
        email="mei.chen@example.com",
        email_verified=True,
        name="Mei Chen",
        preferred_username="mei.chen",
        frontline_roles=roles,
        **claims,
    )


@pytest.fixture
def mei(db):
    """Mei as import_people would have made her: no password here, no memberships yet."""
    user = factories.UserFactory(username="mchen", email="Mei.Chen@example.com", first_name="")
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def two_accounts(db):
    return (
        factories.AccountFactory(external_id="mfg-001", name="Haier Works"),
        factories.AccountFactory(
            external_id="ret-001",
            name="Yonghui Stores",
            vertical=factories.vertical("consumer_retail"),
        ),
    )


def memberships(user):
    return sorted(
        (m.role, m.vertical.code if m.vertical else "")
        for m in Membership.objects.filter(user=user).select_related("vertical")
    )


def api_accounts(client):
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 200, response.content
    return {row["external_id"] for row in response.json()["results"]}


def admin_accounts(client):
    response = client.get("/admin/accounts/account/")
    assert response.status_code == 200
    return response.content.decode()


def signed_in_user(client):
    from django.contrib.auth import SESSION_KEY

    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def test_the_login_page_offers_the_provider_only_when_it_is_configured(client, settings, sso):
    page = client.get("/admin/login/?next=/pipeline/").content.decode()
    assert "Sign in with Test IdP" in page
    assert 'href="/oidc/authenticate/?next=%2Fpipeline%2F"' in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/admin/login/"})
    assert "使用 Test IdP 登录" in client.get("/admin/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    settings.OIDC_ISSUER = ""
    assert "Sign in with" not in client.get("/admin/login/").content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404


def test_a_csm_signs_in_and_sees_only_her_vertical_in_the_admin_and_the_api(
    client, sso, mei, two_accounts
):
    mei_at_provider(sso, ["csm:manufacturing"])
    authorization = start_sign_in(client)
    query = parse_qs(urlsplit(authorization).query)
    assert authorization.startswith(sso.issuer + "/auth?")
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0]

    callback = sign_in_at_provider(authorization, "mei")
    parts = urlsplit(callback)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert signed_in_user(client) == mei  # matched by her verified email, case aside

    mei.refresh_from_db()
    assert mei.is_staff and mei.first_name == "Mei Chen"
    assert memberships(mei) == [("csm", "manufacturing")]
    assert set(mei.groups.values_list("name", flat=True)) == {"CSM"}
    page = admin_accounts(client)
    assert "Haier Works" in page and "Yonghui Stores" not in page
    assert api_accounts(client) == {"mfg-001"}


def test_a_changed_roles_claim_changes_her_scope_at_the_next_sign_in(
    client, sso, mei, two_accounts, caplog
):
    mei_at_provider(sso, ["csm:manufacturing", "lead:manufacturing"])
    sign_in(client, "mei")
    assert memberships(mei) == [("csm", "manufacturing"), ("lead", "manufacturing")]
    client.post("/admin/logout/")

    # Moved to retail in the provider; one entry names a vertical that does not exist here.
    mei_at_provider(sso, ["csm:consumer_retail", "csm:space_mining"])
    with caplog.at_level(logging.INFO, logger="frontline.signin"):
        response = sign_in(client, "mei")
    assert response.status_code == 302 and signed_in_user(client) == mei
    assert memberships(mei) == [("csm", "consumer_retail")]
    assert set(mei.groups.values_list("name", flat=True)) == {"CSM"}
    assert api_accounts(client) == {"ret-001"}
    page = admin_accounts(client)
    assert "Yonghui Stores" in page and "Haier Works" not in page
    ignored = [r.getMessage() for r in caplog.records if "sso role ignored" in r.getMessage()]
    assert len(ignored) == 1 and "space_mining" in ignored[0] and "entry=2" in ignored[0]

    # No roles left in the provider: no memberships, no longer staff, the admin closed to her.
    client.post("/admin/logout/")
    mei_at_provider(sso, [])
    sign_in(client, "mei")
    mei.refresh_from_db()
    assert memberships(mei) == [] and not mei.is_staff
    assert not Group.objects.filter(user=mei).exists()
    assert client.get("/admin/").status_code == 302


def test_memberships_from_the_claim_equal_what_import_people_makes(client, sso, mei):
    from verticals.services import import_people

    rows = [
        (2, {"username": "twin", "full_name": "Twin", "email": "", "vertical": v, "role": r})
        for r, v in (("lead", "agri_food"), ("coo", ""))
    ]
    import_people(rows=rows, skip_invalid=False)
    twin = User.objects.get(username="twin")
    mei_at_provider(sso, ["lead:agri_food", "coo"])
    sign_in(client, "mei")
    mei.refresh_from_db()
    assert memberships(mei) == memberships(twin) == [("coo", ""), ("lead", "agri_food")]
    assert set(mei.groups.values_list("name", flat=True)) == set(
        twin.groups.values_list("name", flat=True)
    )
    assert mei.is_staff == twin.is_staff is True


def test_matching_falls_back_to_preferred_username_when_the_email_is_not_verified(client, sso):
    ming = factories.UserFactory(username="ming", email="ming@corp.example")
    sso.set_person(
        "ming-at-idp",
        email="someone.else@example.com",
        email_verified=False,
        preferred_username="ming",
        frontline_roles=["tech:energy_resources"],
    )
    sign_in(client, "ming-at-idp")
    assert signed_in_user(client) == ming
    ming.refresh_from_db()
    assert ming.email == "ming@corp.example"  # an unverified email is never taken
    assert memberships(ming) == [("tech", "energy_resources")]


def test_an_unknown_person_is_refused_unless_users_may_be_created(client, settings, sso, caplog):
    sso.set_person(
        "newbie",
        email="newbie@example.com",
        email_verified=True,
        name="New Bie",
        preferred_username="newbie",
        frontline_roles=["sa:agri_food"],
    )
    with caplog.at_level(logging.WARNING, logger="frontline.signin"):
        response = sign_in(client, "newbie")
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    assert signed_in_user(client) is None
    assert not User.objects.filter(username="newbie").exists()
    assert (
        "nobody with your email or username works here"
        in client.get("/admin/login/").content.decode()
    )
    assert any("OIDC_CREATE_USERS is off" in r.getMessage() for r in caplog.records)

    settings.OIDC_CREATE_USERS = True
    sign_in(client, "newbie")
    newbie = User.objects.get(username="newbie")
    assert signed_in_user(client) == newbie
    assert newbie.email == "newbie@example.com" and not newbie.has_usable_password()
    assert memberships(newbie) == [("sa", "agri_food")] and newbie.is_staff


def _callback_of_a_completed_flow(client, login="mei"):
    parts = urlsplit(sign_in_at_provider(start_sign_in(client), login))
    return parts.path, parse_qs(parts.query)


def test_a_tampered_state_is_refused(client, sso, mei, caplog):
    mei_at_provider(sso, ["csm:manufacturing"])
    path, query = _callback_of_a_completed_flow(client)
    query["state"] = [query["state"][0][:-2] + "xx"]
    with caplog.at_level(logging.WARNING, logger="frontline.signin"):
        response = client.get(path, {k: v[0] for k, v in query.items()})
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    assert signed_in_user(client) is None
    assert any("state does not match" in r.getMessage() for r in caplog.records)
    # Nothing of what the provider sent is written to the log.
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert query["code"][0] not in logged and query["state"][0] not in logged


def test_an_id_token_with_another_nonce_is_refused(client, sso, mei, caplog):
    """The code was issued for a request with another nonce than this session's (code injection)."""
    mei_at_provider(sso, ["csm:manufacturing"])
    path, query = _callback_of_a_completed_flow(client)
    session = client.session
    state = query["state"][0]
    session["oidc_states"][state]["nonce"] = "a-nonce-this-session-never-sent"
    session.save()
    with caplog.at_level(logging.WARNING, logger="frontline.signin"):
        response = client.get(path, {k: v[0] for k, v in query.items()})
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    assert signed_in_user(client) is None
    assert any("Nonce verification failed" in r.getMessage() for r in caplog.records)
    assert not Membership.objects.filter(user=mei).exists()


def test_an_expired_id_token_is_refused(client, settings, sso, mei, caplog):
    """The provider's ID tokens for this client live 1 s and its token answer comes 2.5 s late."""
    settings.OIDC_CLIENT_ID = SLOW_CLIENT_ID
    mei_at_provider(sso, ["csm:manufacturing"])
    with caplog.at_level(logging.WARNING, logger="frontline.signin"):
        response = sign_in(client, "mei")
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    assert signed_in_user(client) is None
    assert any("the ID token has expired" in r.getMessage() for r in caplog.records)
    assert "did not work" in client.get("/admin/login/").content.decode()


def test_a_code_is_used_once(client, sso, mei):
    mei_at_provider(sso, ["csm:manufacturing"])
    path, query = _callback_of_a_completed_flow(client)
    params = {k: v[0] for k, v in query.items()}
    assert client.get(path, params).status_code == 302
    assert signed_in_user(client) == mei
    other = client.__class__()
    replay = other.get(path, params)
    assert replay.status_code == 302 and replay["Location"] == "/admin/login/"
    assert signed_in_user(other) is None


def test_an_unreachable_provider_gets_a_message_not_a_500(client, settings, sso):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/closed"
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    assert "cannot be reached right now" in client.get("/admin/login/").content.decode()


def test_logout_ends_the_local_session_and_the_providers(client, sso, mei):
    mei_at_provider(sso, ["csm:manufacturing"])
    at_provider = requests.Session()  # the person's browser, as the provider sees it
    parts = urlsplit(sign_in_at_provider(start_sign_in(client), "mei", browser=at_provider))
    client.get(f"{parts.path}?{parts.query}")
    assert signed_in_user(client) == mei

    response = client.post("/admin/logout/")
    assert response.status_code == 302
    end_session = response["Location"]
    assert end_session.startswith(sso.issuer + "/session/end?")
    query = parse_qs(urlsplit(end_session).query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/admin/login/"]
    assert signed_in_user(client) is None
    assert client.get("/admin/").status_code == 302

    # At the provider: its confirmation form, then it sends the browser back to our login page.
    page = at_provider.get(end_session, timeout=10)
    assert page.status_code == 200 and "<form" in page.text
    form = dict(
        __import__("re").findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    )
    done = at_provider.post(
        sso.issuer + "/session/end/confirm",
        data={**form, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code in (302, 303)
    assert done.headers["Location"] == "http://testserver/admin/login/"
    # Its session is over: the next sign-in asks for the password again.
    again = at_provider.get(start_sign_in(client), timeout=10)
    assert 'name="password"' in again.text


def test_a_password_sign_in_is_still_possible_next_to_the_provider(client, sso, superuser):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": "pw-frontline-1"}
    )
    assert response.status_code == 302 and signed_in_user(client) == superuser
    # And logging out of a password session stays local (no provider session to end).
    response = client.post("/admin/logout/")
    assert response.status_code == 200 and signed_in_user(client) is None


def test_staff_the_provider_signed_in_are_not_asked_for_totp(client, settings, sso, mei):
    settings.STAFF_MFA = True
    mei_at_provider(sso, ["csm:manufacturing"])
    sign_in(client, "mei")
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/accounts/").status_code == 200
