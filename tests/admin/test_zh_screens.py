"""The screens a walk in Chinese found English on: regions, the plan's vertical, delete pages,
the calendar, connectors, "COO" and the pipeline's name."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import translation

from accounts.models import IntegrationProject
from metrics.models import AccountDailyStatus, AccountDayUsage, MetricPolicy
from tests import factories
from visits.models import Visit

pytestmark = pytest.mark.django_db

DAY = dt.date.today() - dt.timedelta(days=1)


def in_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def text_of(html: str) -> str:
    html = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def east_account(db, coo):
    account = factories.AccountFactory(
        name="Haier", local_name="海尔", region="East China", external_id="haier"
    )
    AccountDailyStatus.objects.create(
        account=account, day=DAY, policy=MetricPolicy.objects.latest(), color="red", score=30
    )
    IntegrationProject.objects.create(
        account=account, name="IBM Notes", connector=factories.connector("ibm_notes")
    )
    return account


def test_regions_are_named_in_chinese_everywhere(client, coo, east_account):
    client.force_login(coo)
    in_chinese(client)
    for url in (
        "/admin/accounts/account/",  # the list's column and its filter
        f"/accounts/{east_account.external_id}/",
        f"/plan/?date={DAY}",
    ):
        text = text_of(client.get(url).content.decode())
        assert "East China" not in text, url
        assert "华东" in text, url


def test_the_plans_vertical_column_is_in_chinese(client, coo, east_account):
    client.force_login(coo)
    html = in_chinese(client).get(f"/plan/?date={DAY}").content.decode()
    row = html[html.index('class="plan-row') :]
    row = text_of(row[: row.index("</tr>")])
    assert "制造" in row and "Manufacturing" not in row


def test_the_account_page_names_connectors_not_their_codes(client, coo, east_account):
    client.force_login(coo)
    text = text_of(
        in_chinese(client).get(f"/accounts/{east_account.external_id}/").content.decode()
    )
    assert "ibm_notes" not in text
    assert "IBM Notes" in text


def test_models_without_a_name_of_their_own_are_named_in_chinese():
    with translation.override("zh-hans"):
        for meta in (
            Visit.contact_attendees.through._meta,
            Visit.staff_attendees.through._meta,
            AccountDayUsage._meta,
        ):
            plural = str(meta.verbose_name_plural)
            assert not re.search(r"[A-Za-z]", plural), plural


def test_a_visits_delete_page_lists_its_attendees_in_chinese(client, superuser):
    visit = factories.VisitFactory()
    visit.contact_attendees.add(factories.ContactFactory(account=visit.account))
    client.force_login(superuser)
    text = text_of(
        in_chinese(client).get(f"/admin/visits/visit/{visit.pk}/delete/").content.decode()
    )
    assert "relationship" not in text


def test_the_calendars_weekday_letters_are_chinese(client, csm):
    client.force_login(csm)
    js = in_chinese(client).get("/admin/jsi18n/").content.decode()
    # The admin's calendar asks for pgettext("one letter Sunday", "S").
    assert (
        '"one letter Sunday\\u0004S": "\\u65e5"' in js or '"one letter Sunday\\u0004S": "日"' in js
    )


def test_coo_and_the_pipeline_are_named_as_people_say_them(client, coo, east_account):
    client.force_login(coo)
    text = text_of(in_chinese(client).get(f"/pipeline/?date={DAY}").content.decode())
    assert "管道" not in text
    assert "业务管线" in text
    with translation.override("zh-hans"):
        from verticals.models import Role

        assert Role.COO.label != "COO"


def test_the_export_page_names_fields_in_chinese(client, coo, east_account):
    client.force_login(coo)
    text = text_of(in_chinese(client).get("/admin/accounts/account/export/").content.decode())
    assert "External Id" not in text and "Local Name" not in text
    assert "(external_id)" in text  # the file's column stays as the contract names it


def test_the_admin_index_table_headers_are_chinese(client, coo):
    # Django 5.2's admin labels the app tables' columns for screen readers; its zh_Hans has no text.
    client.force_login(coo)
    html = in_chinese(client).get("/admin/").content.decode()
    for english in ("Model name", "Add link", "Change or view list link"):
        assert english not in html
    assert "模型名称" in html


def test_the_account_timeline_names_who_visited_not_who_logged(client, coo, east_account):
    # "by A, B" lists the author and the colleagues who went; "记录人" (who logged it) fits one.
    author = factories.UserFactory(username="csm_zh", first_name="Li Na")
    visit = factories.VisitFactory(account=east_account, author=author)
    visit.staff_attendees.add(factories.UserFactory(username="sa_zh", first_name="Wang Fang"))
    client.force_login(coo)
    text = text_of(
        in_chinese(client).get(f"/accounts/{east_account.external_id}/").content.decode()
    )
    assert re.search(r"拜访人\s+Li Na, Wang Fang", text), text
    assert "记录人 Li Na" not in text
