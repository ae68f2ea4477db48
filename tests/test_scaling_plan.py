"""The Citus plan of docs/scaling.md holds: distributed tables keep the account first in every key.

The plan's table lists are read from the one SQL block of docs/scaling.md (the
DDL a database administrator would run): `create_distributed_table(…)`,
`create_reference_table(…)`, and the `-- pending:`, `-- local:` and
`-- partitioned:` comment lines. Each distributed table is checked in Django's
model meta and in the database's own constraints (SQLite or PostgreSQL, as the
suite runs), so a unique constraint or index added without the account fails
here before it would fail `create_distributed_table`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, models
from django.test.utils import isolate_apps

PLAN = Path(__file__).resolve().parent.parent / "docs" / "scaling.md"
# Frontline's own apps: each of their tables needs a place in the plan.
OUR_APPS = ("core", "verticals", "events", "accounts", "visits", "metrics", "plays", "reports")
# Tables of other apps that the plan places explicitly (people are reference tables).
NAMED_ELSEWHERE = ("auth_user",)


@dataclass
class Plan:
    distributed: dict[str, str] = field(default_factory=dict)  # table: distribution column
    pending: dict[str, str] = field(default_factory=dict)
    reference: set[str] = field(default_factory=set)
    local: set[str] = field(default_factory=set)
    partitioned: set[str] = field(default_factory=set)


def read_plan(text: str) -> Plan:
    blocks = re.findall(r"```sql\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "docs/scaling.md holds one ```sql block: the plan's DDL"
    plan = Plan()
    distributed = re.compile(r"create_distributed_table\('(\w+)',\s*'(\w+)'")
    reference = re.compile(r"create_reference_table\('(\w+)'\)")
    for line in blocks[0].splitlines():
        line = line.strip()
        if line.startswith("-- pending:"):
            plan.pending.update(distributed.findall(line))
        elif line.startswith(("-- local:", "-- partitioned:")):
            names = {name.strip() for name in line.split(":", 1)[1].split(",") if name.strip()}
            (plan.local if line.startswith("-- local:") else plan.partitioned).update(names)
        elif not line.startswith("--"):
            plan.distributed.update(distributed.findall(line))
            plan.reference.update(reference.findall(line))
    return plan


@pytest.fixture(scope="module")
def plan() -> Plan:
    return read_plan(PLAN.read_text(encoding="utf-8"))


def model_tables() -> dict[str, type[models.Model]]:
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}


# --- What a distributed table must satisfy -----------------------------------------------------


def key_violations(model: type[models.Model], column: str) -> list[str]:
    """Each key of `model` (primary key, unique constraint, unique field) not led by `column`."""
    meta = model._meta
    found = []
    pk_columns = [f.column for f in getattr(meta.pk, "fields", [meta.pk])]
    if pk_columns[0] != column:
        found.append(f"primary key {pk_columns}")
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            columns = [meta.get_field(name).column for name in constraint.fields]
            if not columns or columns[0] != column:
                found.append(f"unique constraint {constraint.name} {columns or 'on expressions'}")
    for together in meta.unique_together:
        columns = [meta.get_field(name).column for name in together]
        if columns[0] != column:
            found.append(f"unique_together {columns}")
    for model_field in meta.local_fields:
        if model_field.unique and not model_field.primary_key and model_field.column != column:
            found.append(f"unique field {model_field.column}")
    return found


def database_key_violations(table: str, column: str) -> list[str]:
    """The same, read from the database: primary key, unique constraints and unique indexes."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
        if connection.vendor == "sqlite":
            # Django lists SQLite's primary key columns in table order; the key's order is `pk`.
            cursor.execute(f"PRAGMA table_info({connection.ops.quote_name(table)})")
            ordered = sorted((row[5], row[1]) for row in cursor.fetchall() if row[5])
            for c in constraints.values():
                if c["primary_key"]:
                    c["columns"] = [name for _position, name in ordered]
    return [
        f"{'primary key' if c['primary_key'] else 'unique'} {name} {c['columns']}"
        for name, c in constraints.items()
        if (c["primary_key"] or c["unique"]) and (not c["columns"] or c["columns"][0] != column)
    ]


# --- The plan against the code ------------------------------------------------------------------


def test_the_plan_distributes_the_large_tables_by_account(plan):
    assert plan.distributed == {
        "metrics_appusage": "account_id",
        "metrics_connectorusage": "account_id",
        "metrics_accountdayusage": "account_id",
        "metrics_accountdailystatus": "account_id",
    }
    assert plan.pending == {"plays_cta": "account_id"}
    assert "accounts_account" in plan.reference and "auth_user" in plan.reference


def test_every_table_of_ours_has_exactly_one_place_in_the_plan(plan):
    tables = model_tables()
    ours = {
        table
        for table, model in tables.items()
        if model._meta.app_label in OUR_APPS or table in NAMED_ELSEWHERE
    }
    places = [set(plan.distributed), set(plan.pending), plan.reference, plan.local]
    placed = set().union(*places)
    assert sorted(ours - placed) == [], "add these tables to the DDL block of docs/scaling.md"
    assert sorted(placed - set(tables)) == [], "the plan names tables that do not exist"
    assert sum(len(p) for p in places) == len(placed), "a table is in two lists of the plan"
    assert plan.partitioned <= set(plan.distributed)


def test_distributed_tables_lead_every_key_with_the_account_in_the_models(plan):
    tables = model_tables()
    found = {
        table: key_violations(tables[table], column) for table, column in plan.distributed.items()
    }
    assert found == {table: [] for table in plan.distributed}
    for table, column in plan.distributed.items():
        assert column in {f.column for f in tables[table]._meta.local_fields}, (table, column)


@pytest.mark.django_db
def test_distributed_tables_lead_every_key_with_the_account_in_the_database(plan):
    found = {
        table: database_key_violations(table, column) for table, column in plan.distributed.items()
    }
    assert found == {table: [] for table in plan.distributed}


@pytest.mark.django_db
def test_pending_tables_still_need_their_new_key(plan):
    """When one gets the account first in every key, move it to the distributed tables."""
    tables = model_tables()
    for table, column in plan.pending.items():
        assert key_violations(tables[table], column), f"{table} is ready: distribute it"
        assert database_key_violations(table, column)
    assert key_violations(tables["plays_cta"], "account_id") == ["primary key ['id']"]


@pytest.mark.django_db
def test_partitioned_tables_have_the_day_in_every_key(plan):
    tables = model_tables()
    for table in plan.partitioned:
        meta = tables[table]._meta
        assert "day" in [f.column for f in meta.pk.fields], table
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        keys = [c for c in constraints.values() if c["primary_key"] or c["unique"]]
        assert keys and all("day" in c["columns"] for c in keys), (table, keys)


# --- The checks can fail ------------------------------------------------------------------------


@isolate_apps("metrics")
def test_a_unique_constraint_without_the_account_is_caught():
    class Feed(models.Model):
        pk = models.CompositePrimaryKey("account_id", "day")
        account_id = models.BigIntegerField()
        day = models.DateField()
        code = models.CharField(max_length=10, unique=True)

        class Meta:
            app_label = "metrics"
            constraints = [
                models.UniqueConstraint(fields=["day", "account_id"], name="feed_day_first"),
                models.UniqueConstraint(fields=["account_id", "code"], name="feed_fine"),
            ]

    assert key_violations(Feed, "account_id") == [
        "unique constraint feed_day_first ['day', 'account_id']",
        "unique field code",
    ]


@pytest.mark.django_db
def test_a_unique_index_added_in_the_database_is_caught():
    # Inside the test's transaction, rolled back with it (both databases have transactional DDL).
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNIQUE INDEX scaling_plan_probe ON metrics_accountdailystatus (day, account_id)"
        )
    assert database_key_violations("metrics_accountdailystatus", "account_id") == [
        "unique scaling_plan_probe ['day', 'account_id']"
    ]


def test_the_plan_reader_reads_every_list():
    plan = read_plan(
        "```sql\n"
        "SELECT create_reference_table('a');\n"
        "SELECT create_distributed_table('b', 'account_id', colocate_with => 'c');\n"
        "-- pending: SELECT create_distributed_table('d', 'account_id');\n"
        "-- local: e, f\n"
        "-- partitioned: b\n"
        "-- SELECT create_reference_table('ignored');\n"
        "```\n"
    )
    assert plan == Plan(
        distributed={"b": "account_id"},
        pending={"d": "account_id"},
        reference={"a"},
        local={"e", "f"},
        partitioned={"b"},
    )
