"""Receivers of other apps' signals: plays run after a recompute of the last complete day."""

from __future__ import annotations

from core.days import last_complete_day

from .tasks import evaluate_day


def evaluate_recomputed_day(sender, *, day, accounts, **kwargs) -> None:
    """metrics.signals.day_recomputed: evaluate the plays for the accounts recomputed."""
    if day != last_complete_day():
        return
    evaluate_day.delay_on_commit(
        day.isoformat(),
        list(accounts.account_ids) if accounts.account_ids is not None else None,
        list(accounts.id_range) if accounts.id_range is not None else None,
    )
