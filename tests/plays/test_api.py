"""The plays and CTAs API: scoping, filters, PATCH and its errors, constant queries."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from plays.evaluation import evaluate_play
from plays.models import CTA, Play
from tests import factories
from tests.api.conftest import token_client

from .conftest import DAY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def open_ctas(*accounts):
    """One no_recent_visit CTA per account (10,000+ people, never visited)."""
    play = Play.objects.get(trigger="no_recent_visit")
    evaluate_play(play=play, day=DAY)
    return {c.account_id: c for c in CTA.objects.filter(account__in=accounts)}


@pytest.fixture
def two_verticals(csm, other_csm):
    mine = factories.AccountFactory(headcount=20_000, owner_csm=csm, external_id="m-1")
    theirs = factories.AccountFactory(
        headcount=20_000,
        owner_csm=other_csm,
        vertical=factories.vertical("consumer_retail"),
        external_id="r-1",
    )
    ctas = open_ctas(mine, theirs)
    return ctas[mine.id], ctas[theirs.id]


def test_plays_list_has_the_eight_plays_with_parameters(csm):
    body = token_client(csm).get("/api/v1/plays/").json()
    assert [p["trigger"] for p in body] == [
        "level_dropped",
        "turned_red",
        "dag_rate_fell",
        "connector_silent",
        "near_deep",
        "renewal_at_risk",
        "requirement_overdue",
        "no_recent_visit",
    ]
    assert body[3]["parameters"] == {"active_days": 7, "silent_days": 3}
    assert body[3]["owner_role"] == "sa"


def test_cta_list_is_scoped_with_the_fields_of_the_contract(csm, two_verticals):
    mine, _theirs = two_verticals
    CTA.objects.filter(pk=mine.pk).update(due_on=DAY)  # past: overdue
    body = token_client(csm).get("/api/v1/ctas/").json()
    assert [c["id"] for c in body["results"]] == [mine.id]
    cta = body["results"][0]
    assert {k: cta[k] for k in ("account", "play", "status", "owner", "opened_on")} == {
        "account": "m-1",
        "play": "no_recent_visit",
        "status": "open",
        "owner": "csm_m",
        "opened_on": "2026-11-20",
    }
    assert cta["reason"] == "no visit in the last 45 days (never visited)"
    assert cta["overdue"] is True
    assert cta["steps"][0] == {"text": "Plan a visit", "done": False}
    assert {"due_on", "closed_at", "note"} <= set(cta)


def test_reason_in_chinese_for_a_chinese_reader(csm, two_verticals):
    body = token_client(csm).get("/api/v1/ctas/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["results"][0]["reason"] == "最近 45 天内无拜访（从未拜访）"


def test_other_verticals_cta_is_404(csm, two_verticals):
    _mine, theirs = two_verticals
    response = token_client(csm).get(f"/api/v1/ctas/{theirs.id}/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "id"


def test_filters(coo, two_verticals, csm):
    mine, theirs = two_verticals
    client = token_client(coo)

    def ids(query):
        return [c["id"] for c in client.get(f"/api/v1/ctas/?{query}").json()["results"]]

    assert sorted(ids("")) == sorted([mine.id, theirs.id])
    assert ids("vertical=consumer_retail") == [theirs.id]
    assert ids("account=m-1") == [mine.id]
    assert ids("owner=csm_m") == [mine.id]
    assert ids("play=turned_red") == []
    assert ids("status=done") == []
    assert token_client(csm).get("/api/v1/ctas/?owner=me").json()["results"][0]["id"] == mine.id
    assert client.get("/api/v1/ctas/?owner=me").json()["results"] == []
    bad = client.get("/api/v1/ctas/?play=nonsense")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "play"


def test_list_queries_do_not_grow_with_the_rows(csm, django_assert_num_queries):
    accounts = [factories.AccountFactory(headcount=20_000, owner_csm=csm) for _ in range(6)]
    open_ctas(*accounts)
    client = token_client(csm)
    client.get("/api/v1/ctas/")  # warm the token's last_used_at write
    # token (+ company role), the caller's verticals, the page.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/ctas/")
    assert len(response.json()["results"]) == 6


def test_patch_done_closes_it(csm, two_verticals):
    mine, _ = two_verticals
    response = token_client(csm, write=True).patch(
        f"/api/v1/ctas/{mine.id}/", {"status": "done", "note": "Visited"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["note"]) == ("done", "Visited")
    assert body["closed_at"] is not None
    mine.refresh_from_db()
    assert (mine.status, mine.closed_by) == ("done", csm)


def test_dismissal_without_a_note_is_400_naming_note(csm, two_verticals):
    mine, _ = two_verticals
    response = token_client(csm, write=True).patch(
        f"/api/v1/ctas/{mine.id}/", {"status": "dismissed"}, format="json"
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["note"]
    mine.refresh_from_db()
    assert mine.status == "open"


def test_patch_ticks_steps(csm, two_verticals):
    mine, _ = two_verticals
    steps = [{"text": s["text"], "done": True} for s in mine.steps]
    response = token_client(csm, write=True).patch(
        f"/api/v1/ctas/{mine.id}/", {"steps": steps}, format="json"
    )
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.steps == steps and mine.status == "open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "status"),
        ({"status": "resolved"}, "status"),
        ({"steps": [{"text": "x"}]}, "steps.0.done"),
        ({"steps": "nope"}, "steps"),
    ],
)
def test_bad_patches_are_400_naming_the_field(csm, two_verticals, body, field):
    mine, _ = two_verticals
    response = token_client(csm, write=True).patch(f"/api/v1/ctas/{mine.id}/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_closing_twice_is_400(csm, two_verticals):
    mine, _ = two_verticals
    client = token_client(csm, write=True)
    client.patch(f"/api/v1/ctas/{mine.id}/", {"status": "done"}, format="json")
    response = client.patch(f"/api/v1/ctas/{mine.id}/", {"status": "done"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "status"


def test_read_only_token_cannot_patch(csm, two_verticals):
    mine, _ = two_verticals
    response = token_client(csm).patch(
        f"/api/v1/ctas/{mine.id}/", {"status": "done"}, format="json"
    )
    assert response.status_code == 403


def test_cannot_patch_another_verticals_cta(csm, two_verticals):
    _, theirs = two_verticals
    response = token_client(csm, write=True).patch(
        f"/api/v1/ctas/{theirs.id}/", {"status": "done"}, format="json"
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_anonymous_is_401(client):
    assert client.get("/api/v1/ctas/").status_code == 401


PLAYS_ENDPOINTS = {
    ("/api/v1/plays/", "get"),
    ("/api/v1/ctas/", "get"),
    ("/api/v1/ctas/{id}/", "get"),
    ("/api/v1/ctas/{id}/", "patch"),
}


def test_schema_documents_the_plays_endpoints_with_their_errors(tmp_path):
    import yaml
    from django.core.management import call_command

    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    schema = yaml.safe_load(path.read_text())
    for url, method in PLAYS_ENDPOINTS:
        operation = schema["paths"][url][method]
        responses = operation["responses"]
        assert {"400", "401", "403", "429"} <= set(responses), (url, method)
        if "{" in url:
            assert "404" in responses, (url, method)
        assert operation.get("summary")
        for code, response in responses.items():
            assert response["content"]["application/json"].get("examples"), (url, code)
