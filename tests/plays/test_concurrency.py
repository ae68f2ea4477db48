"""Two workers evaluating the same day at once open one CTA (PostgreSQL: advisory lock + constraint)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from plays.evaluation import evaluate_play
from plays.models import CTA, Play
from tests import factories

from .conftest import DAY

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's locks and concurrent writers"
    ),
]


def _evaluate_at_once(play, days):
    """Evaluate `play` for each of `days`, each in its own thread and connection, all at once;
    the results in the order the evaluations finished (each with `.day` set)."""
    barrier = threading.Barrier(len(days))
    results, errors = [], []

    def worker(day):
        try:
            barrier.wait()
            result = evaluate_play(play=play, day=day)
            result.day = day
            results.append(result)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(day,)) for day in days]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def test_two_threads_evaluating_the_same_day_open_one_cta_each():
    accounts = [factories.AccountFactory(headcount=20_000) for _ in range(20)]
    play = Play.objects.get(trigger="no_recent_visit")
    results = _evaluate_at_once(play, [DAY, DAY])
    assert sorted(r.opened for r in results) == [0, len(accounts)]
    assert CTA.objects.filter(play=play, status="open").count() == len(accounts)


def test_two_threads_evaluating_different_days_of_a_play_open_one_cta_each():
    """One lock per play, whatever the day: one evaluation opens the CTAs, the other finds them."""
    accounts = [factories.AccountFactory(headcount=20_000) for _ in range(20)]
    play = Play.objects.get(trigger="no_recent_visit")
    later = DAY + dt.timedelta(days=1)
    results = _evaluate_at_once(play, [DAY, later])
    assert sorted(r.opened for r in results) == [0, 20]
    opener, other = sorted(results, key=lambda r: -r.opened)
    assert opener.refreshed == 0
    # Which took the lock first is up to the threads. The later day refreshes the earlier
    # day's CTAs; a CTA already evaluated for a later day is left as that evaluation made it.
    assert other.refreshed == (20 if other.day == later else 0)
    assert CTA.objects.filter(play=play, status="open").count() == len(accounts)
