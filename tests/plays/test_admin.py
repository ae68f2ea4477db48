"""The admin: "My CTAs" by default, overdue flagged, done and dismiss (with a note), ticking steps."""

from __future__ import annotations

import pytest
from django.urls import reverse

from plays.evaluation import evaluate_play
from plays.models import CTA, Play
from tests import factories

from .conftest import DAY

pytestmark = pytest.mark.django_db

LIST = reverse("admin:plays_cta_changelist")


@pytest.fixture
def ctas(csm, other_csm):
    lead = factories.person("lead", "manufacturing", username="lead_m")
    mine = factories.AccountFactory(headcount=20_000, owner_csm=csm, name="Mine Co")
    colleague = factories.AccountFactory(headcount=20_000, owner_csm=lead, name="Lead Co")
    theirs = factories.AccountFactory(
        headcount=20_000,
        owner_csm=other_csm,
        vertical=factories.vertical("consumer_retail"),
        name="Retail Co",
    )
    evaluate_play(play=Play.objects.get(trigger="no_recent_visit"), day=DAY)
    return {c.account_id: c for c in CTA.objects.all()}, mine, colleague, theirs


def test_my_ctas_is_the_default_list_with_overdue_flagged(client, csm, ctas):
    by_account, mine, colleague, theirs = ctas
    CTA.objects.filter(pk=by_account[mine.id].pk).update(due_on=DAY)
    client.force_login(csm)
    page = client.get(LIST).content.decode()
    assert "Mine Co" in page and "Lead Co" not in page and "Retail Co" not in page
    assert "frontline-overdue" in page
    assert "no visit in the last 45 days" in page
    everyone = client.get(LIST + "?whose=all").content.decode()
    assert "Lead Co" in everyone and "Retail Co" not in everyone


def test_another_verticals_cta_is_404(client, csm, ctas):
    by_account, _mine, _colleague, theirs = ctas
    client.force_login(csm)
    url = reverse("admin:plays_cta_change", args=[by_account[theirs.id].pk])
    assert client.get(url).status_code == 404


def test_mark_done_action(client, csm, ctas):
    by_account, mine, *_ = ctas
    client.force_login(csm)
    cta = by_account[mine.id]
    client.post(LIST, {"action": "mark_done", "_selected_action": [cta.pk]})
    cta.refresh_from_db()
    assert (cta.status, cta.closed_by) == ("done", csm)


def test_dismiss_asks_for_a_note(client, csm, ctas):
    by_account, mine, *_ = ctas
    client.force_login(csm)
    cta = by_account[mine.id]
    form = client.post(LIST, {"action": "dismiss", "_selected_action": [cta.pk]})
    assert form.status_code == 200 and 'name="note"' in form.content.decode()
    empty = client.post(
        LIST, {"action": "dismiss", "_selected_action": [cta.pk], "apply": "1", "note": ""}
    )
    assert empty.status_code == 200
    cta.refresh_from_db()
    assert cta.status == "open"
    client.post(
        LIST,
        {"action": "dismiss", "_selected_action": [cta.pk], "apply": "1", "note": "Merged account"},
    )
    cta.refresh_from_db()
    assert (cta.status, cta.note) == ("dismissed", "Merged account")


def test_ticking_a_step_on_the_change_page(client, csm, ctas):
    by_account, mine, *_ = ctas
    client.force_login(csm)
    cta = by_account[mine.id]
    url = reverse("admin:plays_cta_change", args=[cta.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"owner": csm.pk, "due_on": cta.due_on.isoformat(), "done_steps": ["0"], "note": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    cta.refresh_from_db()
    assert [s["done"] for s in cta.steps] == [True, False]


def test_the_coo_edits_a_play_with_history_and_bad_parameters_are_refused(client, coo):
    client.force_login(coo)
    play = Play.objects.get(trigger="connector_silent")
    url = reverse("admin:plays_play_change", args=[play.pk])
    data = {
        "name": play.name,
        "parameters": '{"active_days": 7, "silent_days": 0}',
        "owner_role": "sa",
        "due_days": 3,
        "steps": '["Check the connector"]',
        "snooze_days": 14,
        "clear_days": 3,
        "active": "on",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and "silent_days" in refused.content.decode()
    data["parameters"] = '{"active_days": 5, "silent_days": 2}'
    assert client.post(url, data).status_code == 302
    play.refresh_from_db()
    assert play.parameters == {"active_days": 5, "silent_days": 2}
    assert [h.history_user for h in play.history.all()] == [coo]
    assert client.get(reverse("admin:plays_play_history", args=[play.pk])).status_code == 200


def test_a_csm_may_read_plays_but_not_edit_them(client, csm):
    client.force_login(csm)
    play = Play.objects.get(trigger="connector_silent")
    url = reverse("admin:plays_play_change", args=[play.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"name": "Renamed"})
    play.refresh_from_db()
    assert play.name != "Renamed"
