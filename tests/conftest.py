"""Fixtures shared by the suite."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def manufacturing():
    return factories.vertical("manufacturing")


@pytest.fixture
def retail():
    return factories.vertical("consumer_retail")


@pytest.fixture
def coo(db):
    return factories.person("coo", None, username="coo")


@pytest.fixture
def csm(db):
    return factories.person("csm", "manufacturing", username="csm_m")


@pytest.fixture
def other_csm(db):
    return factories.person("csm", "consumer_retail", username="csm_r")


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)
