"""On PostgreSQL, lists sorted by score walk the status index (day, score, account): no sort.

20,000 accounts with a status on the day, analysed, then EXPLAIN of the very
queries the vertical page and the accounts API run: the plan reads
`status_day_score` in order and has no Sort or Incremental Sort node (score
ties go by account id, which the index holds), so it stops after a page.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from metrics.models import MetricPolicy
from reports import pipeline
from tests import factories
from tests.api.conftest import token_client

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL plans (SQLite has no planner to ask)"
    ),
]

DAY = dt.date(2026, 11, 20)
ACCOUNTS = 20_000


@pytest.fixture
def many(manufacturing):
    """ACCOUNTS accounts over the five verticals, each with a status on DAY, analysed."""
    policy = MetricPolicy.objects.current()
    if policy.pk is None:
        policy.save()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_account (external_id, name, local_name, vertical_id, headcount,
                region, dedicated_deployment, cloud_customer, stage, created_at, updated_at)
            SELECT 'plan-' || lpad(n::text, 6, '0'), 'Plan ' || (n %% 997), '', v.ids[1 + n %% 5],
                   n, '', false, false, 'adopting', now(), now()
            FROM generate_series(1, %s) AS n,
                 (SELECT array_agg(id ORDER BY id) AS ids FROM verticals_vertical) AS v
            """,
            [ACCOUNTS],
        )
        cursor.execute(
            """
            INSERT INTO metrics_accountdailystatus (account_id, day, policy_id, minutes,
                apps_used, is_dag, dag_days, dag_rate, connectors, records, analytics_days,
                max_apps_used, deep_integration_level, days_since_visit, overdue_requirements,
                points_dag_rate, points_integration, points_breadth, points_recency,
                points_requirements, score, color)
            SELECT id, %s, %s, 0, 0, false, 0, 0, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0,
                   (id * 37) %% 101, 'red'
            FROM accounts_account
            """,
            [DAY, policy.pk],
        )
        cursor.execute("ANALYZE accounts_account")
        cursor.execute("ANALYZE metrics_accountdailystatus")
    return manufacturing


def plan_nodes(sql: str, params=()) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    nodes, stack = [], [plan]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack += node.get("Plans", [])
    return nodes


def score_index_names() -> set[str]:
    """status_day_score and, on the monthly partitions (metrics.partitions), each partition's copy."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'status_day_score'::regclass"
        )
        return {"status_day_score", *(name for (name,) in cursor.fetchall())}


def score_index_scans(nodes: list[dict]) -> list[dict]:
    names = score_index_names()
    return [n for n in nodes if n.get("Index Name") in names]


def assert_index_walk(nodes: list[dict]) -> None:
    assert score_index_scans(nodes), nodes
    sorts = [n["Node Type"] for n in nodes if "Sort" in n["Node Type"]]
    assert sorts == [], [n["Node Type"] for n in nodes]


@pytest.mark.parametrize("ordering", ["-score", "score"])
def test_the_vertical_page_by_score_walks_the_index(many, ordering):
    listed = pipeline.vertical_accounts(
        accounts=Account.objects.filter(vertical=many), day=DAY, ordering=ordering
    )
    first_page = listed.parts[0][0:25]
    sql, params = first_page.query.sql_with_params()
    assert_index_walk(plan_nodes(sql, params))
    # The rows are those a plain sort gives: the highest (lowest) scores of the vertical.
    scores = [a.day_score for a in first_page]
    assert scores == sorted(scores, reverse=ordering.startswith("-"))
    assert scores[0] == (100 if ordering.startswith("-") else 0)


@pytest.mark.parametrize("ordering", ["-score", "score"])
def test_the_accounts_api_by_score_walks_the_index(many, coo, ordering):
    client = token_client(coo)
    client.get("/api/v1/accounts/?page_size=1")  # the token's first use
    with CaptureQueriesContext(connection) as captured:
        body = client.get(f"/api/v1/accounts/?page_size=50&ordering={ordering}").json()
    [listing] = [q["sql"] for q in captured.captured_queries if "LIMIT 51" in q["sql"]]
    assert_index_walk(plan_nodes(listing))
    assert len(body["results"]) == 50
    # And the next page starts its index scan at the cursor's score.
    with CaptureQueriesContext(connection) as captured:
        client.get(body["next"])
    [listing] = [q["sql"] for q in captured.captured_queries if "LIMIT 51" in q["sql"]]
    nodes = plan_nodes(listing)
    assert_index_walk(nodes)
    [scan] = score_index_scans(nodes)
    assert "score" in scan["Index Cond"], scan


def test_a_created_account_still_lists(many, coo):
    """Sanity: an account the fixture did not make (no status) is counted in the page's list."""
    factories.AccountFactory(vertical=many)
    listed = pipeline.vertical_accounts(
        accounts=Account.objects.filter(vertical=many), day=DAY, ordering="-score"
    )
    assert listed.count() == ACCOUNTS // 5 + 1
