"""Data for the admin tests: one of everything in manufacturing and in consumer retail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from tests import factories


@dataclass
class VerticalData:
    account: object
    contact: object
    team_member: object
    project: object
    visit: object
    requirement: object
    action_item: object


def vertical_data(code: str, author) -> VerticalData:
    account = factories.AccountFactory(vertical=factories.vertical(code), owner_csm=author)
    visit = factories.VisitFactory(account=account, author=author)
    return VerticalData(
        account=account,
        contact=factories.ContactFactory(account=account),
        team_member=factories.AccountTeamMemberFactory(account=account, user=author),
        project=factories.IntegrationProjectFactory(account=account),
        visit=visit,
        requirement=factories.RequirementFactory(
            account=account, visit=visit, raised_at=timezone.now() - dt.timedelta(hours=2)
        ),
        action_item=factories.ActionItemFactory(account=account, visit=visit, owner=author),
    )


@pytest.fixture
def own(csm) -> VerticalData:
    """Manufacturing data, owned by the manufacturing CSM (`csm`, from tests/conftest.py)."""
    return vertical_data("manufacturing", csm)


@pytest.fixture
def other(other_csm) -> VerticalData:
    """Consumer-retail data, owned by the retail CSM."""
    return vertical_data("consumer_retail", other_csm)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """These tests make many people; a slow hasher is not what they test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
