"""The CSM's day: logging a visit from the account page, "mine" lists, overdue flags, actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.days import business_today
from metrics.models import MetricPolicy
from tests import factories
from visits import selectors, services
from visits.models import ActionItem, Requirement, RequirementStatus, Visit

pytestmark = pytest.mark.django_db


def test_the_account_page_offers_log_a_visit_which_prefills_the_form(client, csm, own):
    client.force_login(csm)
    page = client.get(reverse("admin:accounts_account_change", args=[own.account.pk]))
    add = reverse("admin:visits_visit_add") + f"?account={own.account.pk}"
    assert add in page.content.decode()
    listing = client.get(reverse("admin:accounts_account_changelist")).content.decode()
    assert add in listing  # also from each row of the account list
    form = client.get(add).context["adminform"].form
    assert str(form["account"].value()) == str(own.account.pk)
    assert form["author"].value() == csm.pk
    assert form["visited_on"].value() == business_today()


def test_contributors_log_visits_but_cannot_edit_them(client, own):
    bd = factories.person("bd", "manufacturing", username="bd_m")
    client.force_login(bd)
    page = client.get(reverse("admin:accounts_account_change", args=[own.account.pk]))
    assert 'id="log-visit"' in page.content.decode()
    response = client.post(
        reverse("admin:visits_visit_add"),
        {
            "account": str(own.account.pk),
            "visited_on": business_today().isoformat(),
            "visit_type": "workshop",
            "author": str(bd.pk),
            "sentiment": "positive",
            "purpose": "Low-code workshop",
            "requirements-TOTAL_FORMS": "1",
            "requirements-INITIAL_FORMS": "0",
            "requirements-0-title": "Train 40 developers",
            "requirements-0-category": "training",
            "requirements-0-priority": "medium",
            "requirements-0-status": "open",
            "requirements-0-raised_at_0": business_today().isoformat(),
            "requirements-0-raised_at_1": "10:00:00",
            "action_items-TOTAL_FORMS": "1",
            "action_items-INITIAL_FORMS": "0",
            "action_items-0-title": "Book the training room",
            "action_items-0-due_on": business_today().isoformat(),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response["Location"] == reverse("admin:visits_visit_changelist")
    visit = Visit.objects.get(purpose="Low-code workshop")
    assert visit.requirements.get().account == own.account
    assert visit.action_items.get().account == own.account
    assert visit.history.latest().history_user == bd
    # Read-only afterwards: no change, no actions that write.
    change = reverse("admin:visits_visit_change", args=[visit.pk])
    assert client.post(change, {}).status_code == 403
    listing = client.get(reverse("admin:visits_requirement_changelist"))
    assert "record_first_response" not in listing.content.decode()


def test_my_open_requirements_and_action_items(csm, own, other):
    today = business_today()
    monday, sunday = selectors.week_bounds(today)
    assert set(selectors.my_open_requirements(csm)) == {own.requirement}
    assert not selectors.my_open_requirements(factories.person("sa", "manufacturing"))
    # Owned elsewhere but raised on my account: still mine to chase.
    tech = factories.person("tech", "manufacturing", username="tech_m")
    theirs = factories.RequirementFactory(account=own.account, owner=tech)
    assert theirs in selectors.my_open_requirements(csm)
    assert set(selectors.my_open_requirements(tech)) == {theirs}
    services.resolve_requirement(requirement=theirs)
    assert theirs not in selectors.my_open_requirements(csm)

    own.action_item.due_on = sunday
    own.action_item.save()
    late = factories.ActionItemFactory(
        account=own.account, owner=csm, due_on=monday - dt.timedelta(days=1)
    )
    later = factories.ActionItemFactory(
        account=own.account, owner=csm, due_on=sunday + dt.timedelta(days=1)
    )
    due = set(selectors.my_action_items_due_this_week(csm, today=today))
    assert due == {own.action_item}  # the overdue one is in its own list
    assert set(selectors.my_open_action_items(csm, "overdue", today=today)) == {late}
    assert set(selectors.my_open_action_items(csm, "later", today=today)) == {later}
    services.complete_action_item(action_item=late)
    assert not selectors.my_open_action_items(csm, "overdue", today=today)


def test_my_accounts_not_visited_in_60_days(csm, own):
    today = business_today()
    never = factories.AccountFactory(owner_csm=csm)
    long_ago = factories.AccountFactory(owner_csm=csm)
    factories.VisitFactory(account=long_ago, author=csm, visited_on=today - dt.timedelta(days=61))
    just_in = factories.AccountFactory(owner_csm=csm)
    factories.VisitFactory(account=just_in, author=csm, visited_on=today - dt.timedelta(days=60))
    on_team = factories.AccountFactory()
    factories.AccountTeamMemberFactory(account=on_team, user=csm)
    assert set(selectors.my_accounts(csm)) == {own.account, never, long_ago, just_in, on_team}
    assert set(selectors.my_accounts_not_visited(csm, today=today)) == {never, long_ago, on_team}


def test_overdue_requirements_stand_out_by_the_policy_sla(client, csm, own):
    now = timezone.now()
    late = factories.RequirementFactory(
        account=own.account, owner=csm, title="Late one", raised_at=now - dt.timedelta(hours=30)
    )
    answered = factories.RequirementFactory(
        account=own.account,
        title="Answered",
        raised_at=now - dt.timedelta(hours=40),
        first_response_at=now - dt.timedelta(hours=37),
    )
    client.force_login(csm)
    url = reverse("admin:visits_requirement_changelist")
    rows = {r.pk: r for r in client.get(url).context["cl"].result_list}
    assert rows[late.pk].response_overdue is True
    assert rows[answered.pk].response_overdue is False
    assert rows[own.requirement.pk].response_overdue is False  # raised 2 hours ago
    body = client.get(url).content.decode()
    assert body.count('class="frontline-overdue"') == 1
    assert "3.0 h" in body  # the answered one's response time
    overdue = client.get(url, {"state": "overdue"}).context["cl"].result_list
    assert [r.pk for r in overdue] == [late.pk]

    policy = MetricPolicy.objects.latest()
    policy.pk = None
    policy.requirement_sla_hours = 48
    policy.save()
    assert selectors.requirement_sla_hours() == 48
    assert 'class="frontline-overdue"' not in client.get(url).content.decode()


def test_overdue_action_items_stand_out(client, csm, own):
    late = factories.ActionItemFactory(
        account=own.account, owner=csm, due_on=business_today() - dt.timedelta(days=1)
    )
    client.force_login(csm)
    url = reverse("admin:visits_actionitem_changelist")
    rows = {r.pk: r for r in client.get(url).context["cl"].result_list}
    assert rows[late.pk].action_overdue is True
    assert rows[own.action_item.pk].action_overdue is False
    assert client.get(url).content.decode().count('class="frontline-overdue"') == 1
    assert [r.pk for r in client.get(url, {"due": "overdue"}).context["cl"].result_list] == [
        late.pk
    ]


@pytest.mark.parametrize(
    "url_name", ["visits_requirement", "visits_actionitem", "visits_visit", "accounts_account"]
)
def test_lists_take_the_same_number_of_queries_for_3_or_30_rows(
    client, csm, own, url_name, django_assert_num_queries
):
    url = reverse(f"admin:{url_name}_changelist") + "?mine=yes"
    client.force_login(csm)
    client.get(url)  # warm the session and content types

    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = count_queries()
    for _ in range(27):
        account = factories.AccountFactory(owner_csm=csm)
        visit = factories.VisitFactory(account=account, author=csm)
        factories.RequirementFactory(account=account, visit=visit, owner=csm)
        factories.ActionItemFactory(account=account, visit=visit, owner=csm)
    with django_assert_num_queries(few):
        assert client.get(url).status_code == 200


def test_the_index_counts_my_day(client, csm, own):
    factories.RequirementFactory(
        account=own.account, raised_at=timezone.now() - dt.timedelta(days=3)
    )
    client.force_login(csm)
    day = client.get(reverse("admin:index")).context["day"]
    assert day["accounts"] == 1
    assert day["open_requirements"] == 2
    assert day["overdue_requirements"] == 1
    assert day["not_visited"] == 0
    assert day["can_see_cadence"] is False


def test_admin_actions_answer_resolve_and_complete(client, csm, own):
    client.force_login(csm)
    url = reverse("admin:visits_requirement_changelist")
    client.post(url, {"action": "record_first_response", "_selected_action": [own.requirement.pk]})
    own.requirement.refresh_from_db()
    assert own.requirement.first_response_at is not None
    assert own.requirement.status == RequirementStatus.IN_PROGRESS
    client.post(url, {"action": "resolve", "_selected_action": [own.requirement.pk]})
    own.requirement.refresh_from_db()
    assert own.requirement.status == RequirementStatus.RESOLVED
    client.post(
        reverse("admin:visits_actionitem_changelist"),
        {"action": "mark_done", "_selected_action": [own.action_item.pk]},
    )
    own.action_item.refresh_from_db()
    assert own.action_item.done_at is not None


def test_log_visit_service_keeps_attendees_to_the_account(csm, own, other):
    with pytest.raises(ValidationError) as excinfo:
        services.log_visit(account=own.account, author=csm, contact_attendees=[other.contact])
    assert "contact_attendees" in excinfo.value.message_dict
    visit = services.log_visit(
        account=own.account,
        author=csm,
        visit_type="executive",
        purpose="COO visit",
        staff_attendees=[csm],
        contact_attendees=[own.contact],
        requirements=[{"title": "Connect SAP", "category": "integration", "owner": csm}],
        action_items=[{"title": "Send plan", "owner": csm, "due_on": business_today()}],
    )
    assert visit.visited_on == business_today()
    assert Requirement.objects.get(visit=visit).account == own.account
    assert ActionItem.objects.get(visit=visit).account == own.account
    assert list(visit.contact_attendees.all()) == [own.contact]


def test_saving_a_visit_logged_from_the_account_goes_back_to_the_account(client, csm, own):
    client.force_login(csm)
    add = reverse("admin:visits_visit_add") + f"?account={own.account.pk}"
    response = client.post(
        add,
        {
            "account": str(own.account.pk),
            "visited_on": business_today().isoformat(),
            "visit_type": "check_in",
            "author": str(csm.pk),
            "sentiment": "neutral",
            "requirements-TOTAL_FORMS": "0",
            "requirements-INITIAL_FORMS": "0",
            "action_items-TOTAL_FORMS": "0",
            "action_items-INITIAL_FORMS": "0",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_account_change", args=[own.account.pk])
