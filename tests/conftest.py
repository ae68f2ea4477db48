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


@pytest.fixture(autouse=True)
def _english_unless_switched():
    """Requests activate the visitor's language in the test's thread; start every test in English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
