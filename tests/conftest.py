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


def pytest_collection_modifyitems(config, items):
    """Every transactional test (live_server, real workers) keeps the migrations' data.

    A transactional test ends with a flush. Without `serialized_rollback` the
    flush re-runs post_migrate (content types get new ids) and drops the data
    migrations' rows (verticals, groups, catalogs, policy); the next test that
    restores the serialized data then collides on the content types' unique
    key. Mixing the two kinds in one worker is what breaks, so all use it.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            continue
        if marker.kwargs.get("serialized_rollback"):
            continue
        kwargs = {**marker.kwargs, "serialized_rollback": True}
        item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
