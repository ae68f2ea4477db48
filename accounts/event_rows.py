"""The SELECT a set-based emitter hands to events.services.record_events_sql.

Events cannot read accounts (they sit below them), so the emitters above
(metrics.status_events, plays.outbox) join their rows to the account and its
vertical here, once, to produce EVENT_SELECT_COLUMNS in their order.
"""

from __future__ import annotations

from core.json_sql import json_text_sql
from verticals.models import Vertical

from .models import Account


def event_rows_sql(*, data: str, source: str, account_id: str, where: str, order_by: str) -> str:
    """EVENT_SELECT_COLUMNS of the rows of `source` matching `where`, in `order_by` order.

    `data` is a JSON expression over `source` (core.json_sql); `account_id` is the
    column of `source` holding the account. The first placeholder is `occurred_at`,
    then those of `data`, `source` and `where`. Aliases `a` and `v` are taken.
    """
    account, vertical = Account._meta.db_table, Vertical._meta.db_table
    return f"""
        SELECT %s AS occurred_at, a.external_id AS account_external_id, a.name AS account_name,
               a.vertical_id AS vertical_id, v.code AS vertical_code,
               {json_text_sql(data)} AS data
        FROM {source}
        JOIN {account} a ON a.id = {account_id}
        JOIN {vertical} v ON v.id = a.vertical_id
        WHERE {where}
        ORDER BY {order_by}
    """  # noqa: S608 - table names from model meta; the rest from our own emitters
