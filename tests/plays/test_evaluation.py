"""Owners, dedupe, snooze, self-resolution, idempotence and when plays run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.days import last_complete_day
from metrics import compute
from plays import reasons
from plays.evaluation import evaluate, evaluate_play
from plays.models import CTA, CTAStatus, Play
from plays.services import close_cta
from tests import factories

from .conftest import DAY, play, run, status

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def big_account(**kwargs):
    """An account no_recent_visit holds for (10,000+ people, never visited)."""
    return factories.AccountFactory(headcount=20_000, **kwargs)


def test_csm_play_is_owned_by_the_accounts_csm(csm):
    account = big_account(owner_csm=csm)
    _result, [cta] = run("no_recent_visit")
    assert (cta.account, cta.owner) == (account, csm)
    assert cta.due_on == DAY + days(cta.play.due_days)
    assert cta.steps == [{"text": text, "done": False} for text in cta.play.steps]
    assert cta.steps


def test_lead_play_is_owned_by_the_verticals_lead():
    lead = factories.person("lead", "manufacturing")
    account = factories.AccountFactory(renewal_date=DAY + days(10))
    status(account, color="yellow")
    assert run("renewal_at_risk")[1][0].owner == lead


def test_sa_play_prefers_the_account_teams_sa_then_the_verticals():
    vertical_sa = factories.person("sa", "manufacturing")
    team_sa = factories.person("sa", "manufacturing")
    with_team, without_team = factories.AccountFactory(), factories.AccountFactory()
    factories.AccountTeamMemberFactory(account=with_team, user=team_sa, role="sa")
    for account in (with_team, without_team):
        for n in range(9, 2, -1):
            factories.connector_usage(account, DAY - days(n), "sap_s4", 10)
    owners = {c.account_id: c.owner for c in run("connector_silent")[1]}
    assert owners == {with_team.id: team_sa, without_team.id: vertical_sa}


def test_an_inactive_team_sa_gives_way_to_the_verticals_sa():
    vertical_sa = factories.person("sa", "manufacturing")
    gone = factories.person("sa", "manufacturing", is_active=False)
    account = factories.AccountFactory()
    factories.AccountTeamMemberFactory(account=account, user=gone, role="sa")
    for n in range(9, 2, -1):
        factories.connector_usage(account, DAY - days(n), "sap_s4", 10)
    assert run("connector_silent")[1][0].owner == vertical_sa


def test_nobody_in_the_role_falls_back_to_the_verticals_lead():
    lead = factories.person("lead", "manufacturing")
    big_account(owner_csm=None)  # no CSM
    assert run("no_recent_visit")[1][0].owner == lead


def test_nobody_at_all_leaves_the_cta_unowned():
    big_account(owner_csm=None)
    assert run("no_recent_visit")[1][0].owner is None


def test_run_twice_opens_one_cta_and_refreshes_it():
    big_account()
    first, ctas = run("no_recent_visit")
    second, again = run("no_recent_visit")
    assert (first.opened, first.refreshed) == (1, 0)
    assert (second.opened, second.refreshed) == (0, 1)
    assert [c.id for c in again] == [c.id for c in ctas]


def test_the_holding_again_refreshes_the_reason():
    account = big_account()
    run("no_recent_visit")
    factories.VisitFactory(account=account, visited_on=DAY - days(50))
    _result, [cta] = run("no_recent_visit", day=DAY + days(1))
    assert cta.reason_numbers["last_visit"] == (DAY - days(50)).isoformat()
    assert cta.last_held_on == DAY + days(1)
    assert cta.opened_on == DAY


def test_the_database_allows_one_open_cta_per_account_and_play():
    big_account()
    _result, [cta] = run("no_recent_visit")
    duplicate = CTA(
        account=cta.account,
        play=cta.play,
        opened_on=DAY,
        due_on=DAY,
        last_evaluated_on=DAY,
        last_held_on=DAY,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.parametrize("status_", ["done", "dismissed"])
def test_closed_by_a_person_is_snoozed_for_snooze_days(status_, csm):
    big_account()
    _result, [cta] = run("no_recent_visit")
    close_cta(cta=cta, status=status_, user=csm, note="Visit booked for next week")
    CTA.objects.filter(pk=cta.pk).update(closed_on=DAY)
    assert run("no_recent_visit", day=DAY + days(13))[1] == [CTA.objects.get(pk=cta.pk)]
    _result, ctas = run("no_recent_visit", day=DAY + days(14))
    assert [c.status for c in ctas] == [status_, "open"]
    assert ctas[1].opened_on == DAY + days(14)


def test_resolves_itself_after_clear_days_consecutive_evaluated_days():
    account = big_account()
    run("no_recent_visit")
    factories.VisitFactory(account=account, visited_on=DAY)
    for n in (1, 2, 2):  # day 2 twice: counted once
        result, [cta] = run("no_recent_visit", day=DAY + days(n))
        assert cta.status == "open" and result.resolved == 0
    assert cta.clear_streak == 2
    result, [cta] = run("no_recent_visit", day=DAY + days(3))
    assert result.resolved == 1
    assert (cta.status, cta.closed_on, cta.last_held_on) == ("resolved", DAY + days(3), DAY)
    assert reasons.render_resolution(
        closed_on=cta.closed_on, last_held_on=cta.last_held_on, clear_days=cta.play.clear_days
    ) == (
        "resolved on 2026-11-23: the condition did not hold on 3 consecutive evaluated days "
        "(last held 2026-11-20)"
    )


def test_holding_again_breaks_the_clear_streak():
    account = big_account()
    run("no_recent_visit")
    visit = factories.VisitFactory(account=account, visited_on=DAY)
    run("no_recent_visit", day=DAY + days(1))
    run("no_recent_visit", day=DAY + days(2))
    visit.delete()
    _result, [cta] = run("no_recent_visit", day=DAY + days(3))
    assert (cta.status, cta.clear_streak) == ("open", 0)


def test_a_resolved_cta_reopens_when_the_condition_returns_later():
    account = big_account()
    run("no_recent_visit", clear_days=1)
    visit = factories.VisitFactory(account=account, visited_on=DAY)
    run("no_recent_visit", day=DAY + days(1))
    run("no_recent_visit", day=DAY + days(1))  # again: still one resolved CTA, none reopened
    visit.delete()
    _result, ctas = run("no_recent_visit", day=DAY + days(2))
    assert [c.status for c in ctas] == ["resolved", "open"]


def test_inactive_plays_do_not_run():
    big_account()
    play("no_recent_visit", active=False)
    results = evaluate(day=DAY)
    assert "no_recent_visit" not in {r.trigger for r in results}
    assert not CTA.objects.exists()


def test_run_plays_command_prints_a_summary_per_play(capsys):
    big_account()
    call_command("run_plays", "--date", DAY.isoformat())
    out = capsys.readouterr().out
    assert "plays for 2026-11-20" in out
    assert "no_recent_visit +1 ~0 -0" in out
    assert CTA.objects.filter(status=CTAStatus.OPEN).count() == 1


def test_run_plays_rejects_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--date"):
        call_command("run_plays", "--date", "2026-13-01")


def test_a_recompute_of_the_last_complete_day_runs_the_plays(django_capture_on_commit_callbacks):
    account = big_account()
    other = big_account()
    day = last_complete_day()
    with django_capture_on_commit_callbacks(execute=True):
        compute.recompute(start=day, end=day, account_ids=[account.id])
    assert list(CTA.objects.values_list("account_id", flat=True)) == [account.id]
    assert other.id not in set(CTA.objects.values_list("account_id", flat=True))


def test_a_recompute_of_an_older_day_runs_no_play(django_capture_on_commit_callbacks):
    big_account()
    day = last_complete_day() - days(5)
    with django_capture_on_commit_callbacks(execute=True):
        compute.recompute(start=day, end=day)
    assert not CTA.objects.exists()


def test_the_hourly_task_runs_the_time_based_plays_only():
    from plays.tasks import evaluate_time_based

    day = last_complete_day()
    account = big_account()
    status(account, day - days(7), color="green")
    status(account, day, color="red")
    summary = evaluate_time_based()
    assert set(summary) == {"requirement_overdue", "renewal_at_risk", "no_recent_visit"}
    assert list(CTA.objects.values_list("play__trigger", flat=True)) == ["no_recent_visit"]


def test_the_hourly_schedule_is_registered():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="plays.evaluate_time_based")
    assert (task.interval.every, task.interval.period, task.enabled) == (1, "hours", True)


def test_run_plays_days_evaluates_oldest_first_so_ctas_resolve(capsys):
    account = big_account()
    factories.VisitFactory(account=account, visited_on=DAY - days(45))  # in the window until DAY-1
    call_command("run_plays", "--date", (DAY + days(3)).isoformat(), "--days", "5")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" ")[2] for line in lines] == [
        (DAY + days(n)).isoformat() for n in range(-1, 4)
    ]
    # Held from DAY (the visit left the window) and never cleared: one open CTA since DAY.
    [cta] = CTA.objects.all()
    assert (cta.opened_on, cta.status) == (DAY, "open")


def test_run_plays_rejects_a_bad_number_of_days():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--days"):
        call_command("run_plays", "--days", "0")


def test_the_result_names_the_ctas_opened_and_resolved():
    stays, leaves = big_account(), big_account()
    first, ctas = run("no_recent_visit", clear_days=1)
    assert first.opened_ids == sorted(c.id for c in ctas)
    factories.VisitFactory(account=leaves, visited_on=DAY)
    second, _ctas = run("no_recent_visit", day=DAY + days(1))
    resolved = CTA.objects.get(account=leaves)
    assert (second.resolved_ids, second.opened_ids) == ([resolved.id], [])
    assert resolved.status == "resolved"
    assert CTA.objects.get(account=stays).status == "open"


def _evaluation_queries(day) -> int:
    play = Play.objects.get(trigger="no_recent_visit")
    with CaptureQueriesContext(connection) as queries:
        evaluate_play(play=play, day=day)
    return len(queries)


def test_an_evaluation_takes_the_same_statements_for_3_accounts_or_30():
    for _ in range(3):
        big_account()
    few = _evaluation_queries(DAY)
    for _ in range(27):
        big_account()
    CTA.objects.all().delete()
    assert _evaluation_queries(DAY) == few
    assert CTA.objects.count() == 30


def _steps_run(day) -> set[str]:
    """Which of the refresh's count, the pruning and the open an evaluation ran."""
    play = Play.objects.get(trigger="no_recent_visit")
    with CaptureQueriesContext(connection) as queries:
        evaluate_play(play=play, day=day)
    marks = {"count": "SELECT COUNT(*)", "prune": "DELETE FROM", "open": 'INSERT INTO "plays_cta"'}
    return {step for step, mark in marks.items() if any(mark in q["sql"] for q in queries)}


def test_an_evaluation_leaves_out_the_steps_with_nothing_to_do():
    """No account held: no refresh, pruning or open; every account held refreshed: no pruning
    or open. That nothing was left undone, the CTAs show."""
    stays, leaves = big_account(), big_account()
    play("no_recent_visit", clear_days=1)
    assert _steps_run(DAY) == {"count", "prune", "open"}
    factories.VisitFactory(account=leaves, visited_on=DAY)
    assert _steps_run(DAY + days(1)) == {"count"}
    assert CTA.objects.get(account=stays).last_held_on == DAY + days(1)
    assert CTA.objects.get(account=leaves).status == "resolved"
    factories.VisitFactory(account=stays, visited_on=DAY)
    assert _steps_run(DAY + days(2)) == set()
    assert not CTA.objects.filter(status="open").exists()
    new = big_account()
    assert _steps_run(DAY + days(3)) == {"count", "prune", "open"}
    assert list(CTA.objects.filter(status="open").values_list("account", flat=True)) == [new.id]


def test_the_same_day_again_writes_no_cta():
    """Nothing changed: the refresh only counts (one statement fewer than a day that writes)."""
    account = big_account()
    run("no_recent_visit")
    unchanged = _evaluation_queries(DAY)
    changed = _evaluation_queries(DAY + days(1))  # last held moves on: written
    assert unchanged == changed - 1
    factories.VisitFactory(account=account, visited_on=DAY - days(50))
    assert _evaluation_queries(DAY + days(1)) == changed  # the reason changed: written
    assert CTA.objects.get().reason_numbers["last_visit"] == (DAY - days(50)).isoformat()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row versions (ctid)")
def test_the_same_day_again_leaves_every_row_version_alone():
    for _ in range(5):
        big_account()
    run("no_recent_visit")
    # An UPDATE, even one that writes the same values, puts a new row version at a new ctid.
    versions = "SELECT id, ctid::text FROM plays_cta ORDER BY id"
    with connection.cursor() as cursor:
        cursor.execute(versions)
        before = cursor.fetchall()
        result, _ctas = run("no_recent_visit")
        cursor.execute(versions)
        assert cursor.fetchall() == before
    assert result.refreshed == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_statements_joining_held_accounts_with_ctas_hash_them():
    """A nested loop over HELD (never analysed) and CTAs just written in bulk, both counted as
    a few rows, runs for minutes at 100,000s: the day after a big open, the clear's anti-join
    scanned HELD once per open CTA. Plain EXPLAIN: the plans, nothing run twice."""
    accounts = [big_account() for _ in range(40)]
    run("no_recent_visit")
    for account in accounts[::2]:
        factories.VisitFactory(account=account, visited_on=DAY)
    big_account()  # one to open: the pruning and the open run
    plans = {}

    def explain(execute, sql, params, many, context):
        words = sql.split()
        if words[0] in ("SELECT", "UPDATE", "DELETE") or words[:3] == [
            "INSERT",
            "INTO",
            '"plays_cta"',
        ]:
            context["cursor"].execute(f"EXPLAIN {sql}", params)
            plans[" ".join(words[:9])] = "\n".join(row[0] for row in context["cursor"].fetchall())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        result, _ctas = run("no_recent_visit", day=DAY + days(1))
    assert (result.refreshed, result.opened) == (20, 1)
    joins = {s: plan for s, plan in plans.items() if "plays_held" in plan}
    assert len(joins) == 5  # the refresh's count and update, the clear, the pruning, the open
    assert [s for s, plan in joins.items() if "Nested Loop" in plan] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL storage parameter")
def test_cta_pages_keep_room_for_the_daily_refresh():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'plays_cta'")
        assert cursor.fetchone()[0] == ["fillfactor=50"]


def test_an_evaluation_for_some_accounts_leaves_the_others_ctas_alone():
    from metrics.compute import AccountFilter

    evaluated, other = big_account(), big_account()
    run("no_recent_visit")
    for account in (evaluated, other):
        factories.VisitFactory(account=account, visited_on=DAY)
    play_ = Play.objects.get(trigger="no_recent_visit")
    evaluate_play(
        play=play_, day=DAY + days(1), accounts=AccountFilter(account_ids=(evaluated.id,))
    )
    streaks = dict(CTA.objects.values_list("account_id", "clear_streak"))
    assert streaks == {evaluated.id: 1, other.id: 0}
