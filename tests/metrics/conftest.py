"""Fixtures of the metrics tests: a few accounts and a writer of feed CSV files."""

from __future__ import annotations

import datetime as dt

import pytest

from core.days import business_today
from tests import factories


@pytest.fixture
def today() -> dt.date:
    return business_today()


@pytest.fixture
def accounts(db):
    return [factories.AccountFactory(external_id=f"ent-{n}") for n in range(3)]


@pytest.fixture
def write_csv(tmp_path):
    def write(name: str, text: str):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
