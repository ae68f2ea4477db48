"""A JSON object built in SQL, in the dialect of the connection (PostgreSQL or SQLite)."""

from __future__ import annotations

from django.db import connection


def json_object_sql(pairs: str) -> str:
    """The SQL for a JSON object of `pairs` ("'key', value, …"); nest it to nest objects."""
    name = "json_build_object" if connection.vendor == "postgresql" else "json_object"
    return f"{name}({pairs})"


def json_text_sql(value: str) -> str:
    """`value` (a JSON expression) as JSON text: PostgreSQL casts it, SQLite's JSON is text."""
    return f"({value})::text" if connection.vendor == "postgresql" else value
