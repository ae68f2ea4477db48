"""docs/plays.md's trigger table in plain Python, over plain data: what the property test compares with.

Inputs are dictionaries and lists (no database): `status[(account, day)]` with
level, color, score, dag_rate, analytics_days; `connector[(account, day, code)]`
= records; `visits` = [(account, day)]; `requirements` = dicts with priority,
status, raised_at, first_response_at, resolved_at; `accounts[account]` with
headcount and renewal_date. Each function answers {account: numbers-it-checks}.
"""

from __future__ import annotations

import datetime as dt

PRIORITIES = ["low", "medium", "high", "critical"]
TIER_LOW = {"lt2k": 0, "2k": 2_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
EPSILON = 1e-9  # a drop of 0.5 - 0.3 counts as 0.2


def _pairs(status, day, lookback):
    before = day - dt.timedelta(days=lookback)
    for (account, d), now in status.items():
        if d == day and (account, before) in status:
            yield account, now, status[(account, before)]


def level_dropped(w, day, p):
    return {
        a
        for a, now, then in _pairs(w["status"], day, p["lookback_days"])
        if now["level"] < then["level"]
    }


def turned_red(w, day, p):
    return {
        a
        for a, now, then in _pairs(w["status"], day, p["lookback_days"])
        if now["color"] == "red" and then["color"] != "red"
    }


def dag_rate_fell(w, day, p):
    return {
        a
        for a, now, then in _pairs(w["status"], day, p["lookback_days"])
        if then["dag_rate"] - now["dag_rate"] >= p["min_drop"] - EPSILON
    }


def connector_silent(w, day, p):
    silent = [day - dt.timedelta(days=n) for n in range(p["silent_days"])]
    last_active = day - dt.timedelta(days=p["silent_days"])
    active = [last_active - dt.timedelta(days=n) for n in range(p["active_days"])]
    found: dict = {}
    for account, _d, code in w["connector"]:
        records = lambda d: w["connector"].get((account, d, code), 0)  # noqa: E731
        if all(records(d) > 0 for d in active) and all(records(d) == 0 for d in silent):
            found.setdefault(account, set()).add(code)
    return {a: sorted(codes) for a, codes in found.items()}


def near_deep(w, day, p, policy):
    held = set()
    for (account, d), s in w["status"].items():
        if d != day or s["level"] != 2:
            continue
        criteria = [
            ("dag_rate", s["dag_rate"], policy["deep_min_dag_rate"]),
            ("analytics_days", s["analytics_days"], policy["deep_min_analytics_days"]),
        ]
        missing = [(have, need) for _name, have, need in criteria if have < need]
        if len(missing) == 1 and missing[0][0] >= missing[0][1] * (1 - p["margin"]):
            held.add(account)
    return held


def renewal_at_risk(w, day, p):
    held = set()
    for account, a in w["accounts"].items():
        s = w["status"].get((account, day))
        renewal = a["renewal_date"]
        if s is None or renewal is None:
            continue
        if day < renewal <= day + dt.timedelta(days=p["days"]) and s["color"] != "green":
            held.add(account)
    return held


def requirement_overdue(w, day, p, *, end_of_day, sla_hours):
    minimum = PRIORITIES.index(p["min_priority"])
    held: dict = {}
    for r in w["requirements"]:
        if PRIORITIES.index(r["priority"]) < minimum or r["status"] == "declined":
            continue
        answered = r["first_response_at"] is not None and r["first_response_at"] <= end_of_day
        resolved = r["resolved_at"] is not None and r["resolved_at"] <= end_of_day
        late = r["raised_at"] <= end_of_day - dt.timedelta(hours=sla_hours)
        if late and not answered and not resolved:
            held[r["account"]] = held.get(r["account"], 0) + 1
    return held


def no_recent_visit(w, day, p):
    first = day - dt.timedelta(days=p["days"] - 1)
    return {
        account
        for account, a in w["accounts"].items()
        if a["headcount"] >= TIER_LOW[p["min_tier"]]
        and not any(v_account == account and first <= d <= day for v_account, d in w["visits"])
    }
