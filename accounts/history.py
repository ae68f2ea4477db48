"""What an account has on record elsewhere, so that it is closed instead of deleted.

Apps above `accounts` (the visits, the feeds and the daily status) register a
counter here from their AppConfig.ready(); `accounts` never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils.text import format_lazy

# label (plural, translatable) -> function(account ids) -> {account id: number of rows}
HistoryCounter = Callable[[list[int]], dict[int, int]]
_COUNTERS: list[tuple[object, HistoryCounter]] = []


def register_history(label, counter: HistoryCounter) -> None:
    """Register one kind of row that makes an account history (idempotent per label)."""
    if all(existing is not label for existing, _ in _COUNTERS):
        _COUNTERS.append((label, counter))


def account_history(account_ids: Iterable[int]) -> dict[int, list[str]]:
    """For each account that has history: "12 visits", "340 feed rows", ... (others left out)."""
    ids = list(account_ids)
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    for label, counter in _COUNTERS:
        for account_id, n in counter(ids).items():
            if n:
                found.setdefault(account_id, []).append(str(format_lazy("{} {}", n, label)))
    return found


def count_by_account(queryset, account_ids: list[int]) -> dict[int, int]:
    """A HistoryCounter over any queryset with an `account_id` column."""
    from django.db.models import Count

    rows = (
        queryset.filter(account_id__in=account_ids)
        .values("account_id")
        .annotate(n=Count("account_id"))
        .values_list("account_id", "n")
    )
    return dict(rows)
