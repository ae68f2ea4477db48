"""Where events come from: a recompute that changed a level or colour, overdue requirements, CTAs."""

from __future__ import annotations

import datetime as dt

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.days import last_complete_day
from events import services
from events.models import Event, Subscription
from metrics import compute
from metrics.models import AccountDailyStatus
from plays import outbox
from plays.evaluation import evaluate_play
from plays.models import Play
from plays.services import close_cta
from tests import factories
from visits.api.serializers import VisitSerializer
from visits.models import Visit
from visits.resources import RequirementResource, VisitResource
from visits.selectors import requirement_sla_hours
from visits.services import log_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def listening(coo):
    return Subscription.objects.create(
        url="https://93.184.216.34/hook", events=["*"], created_by=coo
    )


def test_a_recompute_of_the_last_complete_day_records_level_and_colour_changes(listening):
    day = last_complete_day()
    changed = factories.AccountFactory(external_id="ent-up", name="Up")
    factories.AccountFactory(external_id="ent-same")
    compute.recompute(start=day - dt.timedelta(days=1), end=day - dt.timedelta(days=1))
    assert not Event.objects.exists()  # not the last complete day
    factories.connector_usage(changed, day, "sap_s4", 500)
    compute.recompute(start=day, end=day)
    level = Event.objects.get(type="account.level_changed")
    assert level.account_external_id == "ent-up" and level.account_name == "Up"
    assert level.vertical_code == "manufacturing"
    assert level.data == {"day": day.isoformat(), "before": 0, "after": 1}
    before = AccountDailyStatus.objects.get(account=changed, day=day - dt.timedelta(days=1))
    after = AccountDailyStatus.objects.get(account=changed, day=day)
    colours = Event.objects.filter(type="account.color_changed")
    if before.color != after.color:
        assert colours.get().data == {
            "day": day.isoformat(),
            "before": before.color,
            "after": after.color,
        }
    else:
        assert not colours.exists()
    # Recomputing the same day again changes nothing and records nothing.
    count = Event.objects.count()
    compute.recompute(start=day, end=day)
    assert Event.objects.count() == count


def test_a_recompute_that_changes_the_days_own_row_compares_with_it(listening):
    day = last_complete_day()
    account = factories.AccountFactory(external_id="ent-1")
    compute.recompute(start=day - dt.timedelta(days=1), end=day)
    assert not Event.objects.exists()
    factories.connector_usage(account, day, "sap_s4", 500)
    factories.connector_usage(account, day, "yonyou_u8", 20000)
    compute.recompute(start=day, end=day)
    assert Event.objects.get(type="account.level_changed").data["after"] == 2


def test_nobody_listening_writes_nothing(coo):
    day = last_complete_day()
    account = factories.AccountFactory()
    compute.recompute(start=day - dt.timedelta(days=1), end=day - dt.timedelta(days=1))
    factories.connector_usage(account, day, "sap_s4", 500)
    compute.recompute(start=day, end=day)
    assert not Event.objects.exists()


def test_an_overdue_requirement_is_announced_once(listening, csm):
    sla = requirement_sla_hours()
    now = timezone.now()
    account = factories.AccountFactory(external_id="ent-late")
    late = factories.RequirementFactory(
        account=account, title="SSO", raised_at=now - dt.timedelta(hours=sla + 1)
    )
    factories.RequirementFactory(account=account, raised_at=now - dt.timedelta(hours=sla - 1))
    factories.RequirementFactory(
        account=account,
        raised_at=now - dt.timedelta(hours=sla + 2),
        first_response_at=now - dt.timedelta(hours=sla + 1),
    )
    services.deliver_due()
    services.deliver_due()
    (event,) = Event.objects.filter(type="requirement.overdue")
    assert event.data["requirement"]["id"] == late.pk
    assert event.data["requirement"]["title"] == "SSO"
    assert event.data["sla_hours"] == sla


def test_a_cta_closed_by_a_person_is_an_event_with_the_cta_as_the_api_shows_it(listening, csm):
    account = factories.AccountFactory(external_id="ent-c")
    cta = factories.cta(account, owner=csm, opened_on=last_complete_day())
    close_cta(cta=cta, status="dismissed", user=csm, note="Visited last week")
    event = Event.objects.get(type="cta.closed")
    assert event.account_external_id == "ent-c"
    assert event.data["cta"]["id"] == cta.pk
    assert event.data["cta"]["status"] == "dismissed"
    assert event.data["cta"]["note"] == "Visited last week"
    assert event.data["cta"]["reason"]


def test_ctas_opened_and_resolved_set_based(listening, csm):
    day = last_complete_day()
    accounts = [factories.AccountFactory(external_id=f"ent-{n}") for n in range(3)]
    ctas = [factories.cta(a, owner=csm, opened_on=day) for a in accounts]
    assert outbox.ctas_opened([c.pk for c in ctas[:2]]) == 2
    opened = Event.objects.filter(type="cta.opened").order_by("id")
    assert [e.account_external_id for e in opened] == ["ent-0", "ent-1"]
    data = opened[0].data["cta"]
    assert data["id"] == ctas[0].pk and data["play"] == "no_recent_visit"
    assert data["owner"] == csm.username and data["opened_on"] == day.isoformat()
    assert data["steps"] == [{"text": "Book a visit", "done": False}]
    assert data["reason_numbers"] == {"days": 45, "last_visit": None}
    assert outbox.ctas_closed_by_evaluation([ctas[2].pk]) == 1
    assert Event.objects.get(type="cta.closed").data["cta"]["id"] == ctas[2].pk


def test_an_evaluation_records_the_ctas_it_opens(listening, csm):
    day = last_complete_day()
    factories.AccountFactory(headcount=20_000, owner_csm=csm, external_id="big-1")
    factories.AccountFactory(headcount=500, owner_csm=csm, external_id="small-1")
    evaluate_play(play=Play.objects.get(trigger="no_recent_visit"), day=day)
    (event,) = Event.objects.filter(type="cta.opened")
    assert event.account_external_id == "big-1"
    assert event.data["cta"]["play"] == "no_recent_visit"
    # Evaluated again: nothing new is opened, nothing new is recorded.
    evaluate_play(play=Play.objects.get(trigger="no_recent_visit"), day=day)
    assert Event.objects.filter(type="cta.opened").count() == 1


def _admin_import(client, model: str, text: str) -> None:
    """Upload `text` as CSV in the admin's import of `model` (a dry run), then confirm it."""
    url = reverse(f"admin:visits_{model}_import")
    form = client.get(url).context["form"]
    csv_index = next(value for value, label in form.fields["format"].choices if label == "csv")
    upload = SimpleUploadedFile(f"{model}.csv", text.encode())
    before = Event.objects.count()
    response = client.post(url, {"format": csv_index, "import_file": upload})
    confirm = response.context["confirm_form"]
    assert Event.objects.count() == before  # the dry run rolled its events back with its rows
    response = client.post(
        reverse(f"admin:visits_{model}_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert response.status_code == 302


def test_visits_and_requirements_imported_in_the_admin_are_announced(listening, client, csm):
    account = factories.AccountFactory(external_id="ent-imp", owner_csm=csm)
    client.force_login(csm)
    visits = (
        "account,visited_on,visit_type,author,purpose,summary,sentiment\n"
        "ent-imp,2026-11-02,business_review,csm_m,QBR,Notes,positive\n"
    )
    _admin_import(client, "visit", visits)
    (event,) = Event.objects.all()
    visit = Visit.objects.get(account=account)
    assert event.type == "visit.logged" and event.account_external_id == "ent-imp"
    assert event.data["visit"] == dict(VisitSerializer(visit).data)

    requirements = (
        "account,title,description,category,priority,status,owner,raised_at,"
        "first_response_at,resolved_at\nent-imp,Connect U8,,integration,high,open,csm_m,"
        "2026-11-02 10:00,,\n"
    )
    _admin_import(client, "requirement", requirements)
    raised = Event.objects.get(type="requirement.raised")
    assert raised.data["requirement"]["title"] == "Connect U8"
    # A file imported again updates its rows: nothing new is announced.
    VisitResource().import_data(tablib.Dataset().load(visits, format="csv"), user=csm)
    RequirementResource().import_data(tablib.Dataset().load(requirements, format="csv"), user=csm)
    assert Event.objects.count() == 2


def test_a_logged_visit_event_is_the_visit_as_the_api_shows_it(listening, csm):
    colleague = factories.person("sa", "manufacturing", username="sa_m")
    requirement = {"title": "SSO with AD", "priority": "high"}
    visit = log_visit(
        account=factories.AccountFactory(external_id="ent-v"),
        author=csm,
        purpose="MES pilot",
        staff_attendees=[colleague],
        requirements=[requirement],
    )
    logged, raised = Event.objects.order_by("id")
    assert (logged.type, raised.type) == ("visit.logged", "requirement.raised")
    assert logged.data["visit"] == dict(VisitSerializer(Visit.objects.get(pk=visit.pk)).data)
    assert logged.data["visit"]["staff_attendees"] == ["sa_m"]
    assert raised.data["requirement"]["visit"] == visit.pk


def test_a_visit_with_requirements_writes_its_events_in_one_statement(listening, csm):
    account = factories.AccountFactory()
    with CaptureQueriesContext(connection) as queries:
        log_visit(
            account=account,
            author=csm,
            requirements=[{"title": "A"}, {"title": "B"}, {"title": "C"}],
        )
    event_statements = [q for q in queries if "events_" in q["sql"]]
    assert len(event_statements) == 1
    assert Event.objects.count() == 4
