"""Two workers evaluating the same day at once open one CTA (PostgreSQL: advisory lock + constraint)."""

from __future__ import annotations

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


def test_two_threads_evaluating_the_same_day_open_one_cta_each():
    accounts = [factories.AccountFactory(headcount=20_000) for _ in range(20)]
    play = Play.objects.get(trigger="no_recent_visit")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(evaluate_play(play=play, day=DAY))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.opened for r in results) == [0, len(accounts)]
    assert CTA.objects.filter(play=play, status="open").count() == len(accounts)
