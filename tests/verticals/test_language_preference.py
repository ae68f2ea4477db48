"""The language follows the person: chosen once in the switcher, applied at login and on each page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests import factories
from verticals.models import UserPreference

pytestmark = pytest.mark.django_db


def page_language(client, url="/admin/") -> str:
    html = client.get(url).content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_switcher_stores_the_choice_with_the_person(client, csm):
    client.force_login(csm)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/admin/"})
    assert response.status_code == 302
    assert UserPreference.objects.get(user=csm).language == "zh-hans"


def test_another_browser_gets_the_persons_language_at_login(csm):
    UserPreference.objects.create(user=csm, language="zh-hans")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # this browser's own last choice
    response = browser.post(
        "/admin/login/?next=/admin/", {"username": "csm_m", "password": "pw-frontline-1"}
    )
    assert response.status_code == 302
    assert page_language(browser) == "zh-hans"


def test_the_choice_applies_on_every_page(client):
    lead = factories.person("lead", "manufacturing", username="lead_m")
    client.force_login(lead)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/pipeline/"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert page_language(client, "/pipeline/") == "zh-hans"
    assert "业务管线复盘" in client.get("/pipeline/").content.decode()


def test_people_who_never_chose_keep_their_browsers_language(client, csm):
    client.force_login(csm)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert page_language(client) == "zh-hans"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert page_language(client) == "en"


def test_a_language_the_site_does_not_have_is_not_stored(client, csm):
    client.force_login(csm)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/admin/"})
    assert not UserPreference.objects.filter(user=csm).exists()
