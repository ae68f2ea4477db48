"""The weekly digest: right content per person, scoping, idempotence, dry run, the schedule."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from metrics.models import AccountDailyStatus, MetricPolicy
from reports import digest
from reports.tasks import send_weekly_digests
from tests import factories
from visits.models import DigestDelivery, DigestStatus

pytestmark = pytest.mark.django_db

WEEK = "2026-W46"
MONDAY = dt.date(2026, 11, 9)
AS_OF = MONDAY - dt.timedelta(days=1)
WEEK_AGO = AS_OF - dt.timedelta(days=7)
BASE = "https://frontline.example.com"


@pytest.fixture(autouse=True)
def email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.FRONTLINE_BASE_URL = BASE


def status(account, day, color, **values):
    return AccountDailyStatus.objects.create(
        account=account,
        day=day,
        policy=MetricPolicy.objects.latest(),
        color=color,
        score={"red": 30, "yellow": 55, "green": 80}[color],
        **values,
    )


@pytest.fixture
def world(csm, other_csm):
    """Manufacturing (csm, a lead, an account of another CSM) and retail (other_csm)."""
    lead = factories.person("lead", "manufacturing", username="lead_m")
    colleague = factories.person("csm", "manufacturing", username="csm_m2")
    falling = factories.AccountFactory(name="Falling Steel", owner_csm=csm)
    status(falling, WEEK_AGO, "yellow")
    status(falling, AS_OF, "red")
    always_red = factories.AccountFactory(name="Always Red", owner_csm=csm)
    status(always_red, WEEK_AGO, "red")
    status(always_red, AS_OF, "red")
    near = factories.AccountFactory(name="Nearly Deep", owner_csm=csm)
    status(near, AS_OF, "green", deep_integration_level=2, dag_rate=0.7, analytics_days=3)
    factories.RequirementFactory(
        account=falling, title="Kingdee sync", raised_at=timezone.now() - dt.timedelta(days=3)
    )
    factories.RequirementFactory(account=falling, title="Answered in time")  # not overdue yet
    factories.ActionItemFactory(
        account=falling, title="Send the plan", due_on=MONDAY + dt.timedelta(days=2)
    )
    factories.ActionItemFactory(
        account=falling, title="Next month", due_on=MONDAY + dt.timedelta(days=30)
    )
    theirs = factories.AccountFactory(name="Colleague Co", owner_csm=colleague)
    status(theirs, WEEK_AGO, "green")
    status(theirs, AS_OF, "red")
    retail = factories.AccountFactory(
        name="Retail Red", owner_csm=other_csm, vertical=factories.vertical("consumer_retail")
    )
    status(retail, WEEK_AGO, "green")
    status(retail, AS_OF, "red")
    return {"lead": lead, "colleague": colleague, "falling": falling}


def outbox_by_recipient():
    return {message.to[0]: message for message in mail.outbox}


def test_each_person_gets_their_accounts(world, csm, other_csm, coo):
    ids = digest.prepare_week(week=WEEK)
    for delivery_id in ids:
        assert digest.send_delivery(delivery_id=delivery_id)
    sent = outbox_by_recipient()
    # CSMs and the lead; never the COO.
    assert set(sent) == {csm.email, other_csm.email, world["lead"].email, world["colleague"].email}

    mine = sent[csm.email]
    assert "1 account turned red" in mine.subject and WEEK in mine.subject
    assert "Falling Steel" in mine.body and "Always Red" not in mine.body.split("==")[2]
    assert "Kingdee sync" in mine.body and "Answered in time" not in mine.body
    assert "Kingdee sync (Falling Steel): raised 3 days ago, no response yet" in mine.body
    assert "Send the plan" in mine.body and "Next month" not in mine.body
    assert "Nearly Deep: analytics used on 3 of 4 days" in mine.body
    assert "Colleague Co" not in mine.body and "Retail Red" not in mine.body
    assert f"{BASE}/accounts/{world['falling'].external_id}/" in mine.body
    assert f"{BASE}/plan/" in mine.body
    html, mimetype = mine.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{BASE}/accounts/{world["falling"].external_id}/"' in html
    assert "Kingdee sync" in html

    # The lead sees her whole vertical, not retail.
    lead_mail = sent[world["lead"].email]
    assert "Falling Steel" in lead_mail.body and "Colleague Co" in lead_mail.body
    assert "Retail Red" not in lead_mail.body
    # The retail CSM only retail.
    retail_mail = sent[other_csm.email]
    assert "Retail Red" in retail_mail.body and "Falling Steel" not in retail_mail.body

    rows = DigestDelivery.objects.filter(week=WEEK)
    assert {r.status for r in rows} == {DigestStatus.SENT}
    assert all(r.language == "en" and r.sent_at for r in rows)


def test_nothing_to_report_is_recorded_not_sent(csm):
    ids = digest.prepare_week(week=WEEK)
    assert ids == []
    row = DigestDelivery.objects.get(user=csm, week=WEEK)
    assert row.status == DigestStatus.EMPTY
    assert mail.outbox == []


def test_rerun_sends_nothing_twice(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_weekly_digests.delay(WEEK).get() == 4
    assert len(mail.outbox) == 4
    with django_capture_on_commit_callbacks(execute=True):
        assert send_weekly_digests.delay(WEEK).get() == 0
    call_command("send_digest", "--week", WEEK, stdout=StringIO())
    assert len(mail.outbox) == 4
    assert DigestDelivery.objects.filter(week=WEEK).count() == 4
    # A retried task for an already-sent row does nothing.
    any_id = DigestDelivery.objects.filter(week=WEEK).first().pk
    assert digest.send_delivery(delivery_id=any_id) is False
    assert len(mail.outbox) == 4


def test_failed_send_is_retried_once_on_the_next_run(world, csm, settings):
    # A real SMTP connection to a closed port: the send fails.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    out = StringIO()
    with pytest.raises(CommandError, match="failed"):
        call_command("send_digest", "--week", WEEK, stdout=out)
    row = DigestDelivery.objects.get(user=csm, week=WEEK)
    assert row.status == DigestStatus.FAILED and row.attempts == 1 and row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send_digest", "--week", WEEK, stdout=out)
    row.refresh_from_db()
    assert row.status == DigestStatus.SENT and row.attempts == 2
    assert len(mail.outbox) == 4


def test_dry_run_writes_nothing(world, csm):
    out = StringIO()
    call_command("send_digest", "--week", WEEK, "--dry-run", "-v", "2", stdout=out)
    text = out.getvalue()
    assert f"would send to {csm.username} <{csm.email}> [en]" in text
    assert "Falling Steel" in text
    assert "would send 4; nothing written" in text
    assert DigestDelivery.objects.count() == 0
    assert mail.outbox == []


def test_command_rejects_a_bad_week():
    with pytest.raises(CommandError, match="2026-48.*ISO week"):
        call_command("send_digest", "--week", "2026-48")
    with pytest.raises(CommandError, match="no such week"):
        call_command("send_digest", "--week", "2026-W60")


def test_week_parsing():
    assert digest.parse_week("2026-W48") == dt.date(2026, 11, 23)
    assert digest.week_of(dt.date(2026, 11, 25)) == "2026-W48"
    assert digest.week_of(dt.date(2027, 1, 1)) == "2026-W53"


def test_one_row_per_person_and_week_in_the_database(csm):
    DigestDelivery.objects.create(
        user=csm,
        week=WEEK,
        language="en",
        to_email=csm.email,
        subject="s",
        body_text="t",
        body_html="h",
    )
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        DigestDelivery.objects.create(
            user=csm,
            week=WEEK,
            language="en",
            to_email=csm.email,
            subject="s",
            body_text="t",
            body_html="h",
        )


def test_schedule_is_monday_8_shanghai():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="visits.tasks.send_weekly_digests")
    assert task.enabled
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_week) == ("0", "8", "1")
    assert str(cron.timezone) == "Asia/Shanghai"


def test_language_is_stored_on_the_row_and_sent_as_a_header(world, csm, settings):
    # No per-user language preference exists yet: the site's language is used and recorded.
    settings.LANGUAGE_CODE = "zh-hans"
    for delivery_id in digest.prepare_week(week=WEEK):
        digest.send_delivery(delivery_id=delivery_id)
    row = DigestDelivery.objects.get(user=csm, week=WEEK)
    assert row.language == "zh-hans"
    message = outbox_by_recipient()[csm.email]
    assert message.extra_headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in message.alternatives[0][0]
