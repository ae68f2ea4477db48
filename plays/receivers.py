"""Receivers of other apps' signals: plays run after a recompute of the last complete day."""

from __future__ import annotations

import logging

from core.days import last_complete_day

from . import evaluation

logger = logging.getLogger(__name__)


def evaluate_recomputed_day(sender, *, day, accounts, **kwargs) -> None:
    """metrics.signals.day_recomputed: evaluate the plays for the accounts recomputed.

    Runs where the recompute ran (a worker, or in-process without a broker), after its
    commit, so it needs no broker: a recompute must not fail because the broker is down
    when its day is already written. A failed evaluation is logged, not raised, for the
    same reason; `run_plays` and the next recompute of the day evaluate it again
    (evaluation is idempotent).
    """
    if day != last_complete_day():
        return
    try:
        evaluation.evaluate(day=day, accounts=accounts)
    except Exception:
        logger.exception("plays: evaluation after the recompute of %s failed", day)
