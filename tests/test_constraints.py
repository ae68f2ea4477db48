"""The database itself refuses bad states, whatever code path writes them."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account
from metrics.models import AppUsage, ConnectorUsage, MetricPolicy
from tests import factories
from verticals.models import Membership

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 1)


def refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_a_duplicate_app_usage_key_is_refused():
    account = factories.AccountFactory()
    factories.app_usage(account, DAY, "chat", 100)
    refused(
        lambda: AppUsage.objects.bulk_create(
            [
                AppUsage(
                    account=account, day=DAY, app=factories.app("chat"), minutes=5, active_users=1
                )
            ]
        )
    )
    assert AppUsage.objects.get(account=account, day=DAY, app=factories.app("chat")).minutes == 100


def test_a_duplicate_connector_usage_key_is_refused():
    account = factories.AccountFactory()
    factories.connector_usage(account, DAY, "sap_s4", 10)
    refused(
        lambda: ConnectorUsage.objects.bulk_create(
            [
                ConnectorUsage(
                    account=account, day=DAY, connector=factories.connector("sap_s4"), records=1
                )
            ]
        )
    )


def test_negative_numbers_in_the_feeds_are_refused():
    account = factories.AccountFactory()
    refused(lambda: factories.app_usage(account, DAY, "chat", -1))
    refused(lambda: factories.app_usage(account, DAY, "docs", 1, active_users=-3))
    refused(lambda: factories.connector_usage(account, DAY, "sap_s4", -10))
    assert not AppUsage.objects.exists() and not ConnectorUsage.objects.exists()


def test_external_id_is_unique_and_stage_must_be_valid():
    factories.AccountFactory(external_id="liby")
    refused(lambda: factories.AccountFactory(external_id="liby"))
    refused(lambda: factories.AccountFactory(stage="sleeping"))
    assert Account.objects.count() == 1


def test_membership_vertical_must_match_the_role():
    user = factories.UserFactory()
    refused(lambda: Membership.objects.create(user=user, vertical=None, role="csm"))
    refused(lambda: Membership.objects.create(user=user, vertical=factories.vertical(), role="coo"))
    refused(
        lambda: Membership.objects.create(user=user, vertical=factories.vertical(), role="janitor")
    )
    Membership.objects.create(user=user, vertical=factories.vertical(), role="csm")
    refused(lambda: Membership.objects.create(user=user, vertical=factories.vertical(), role="csm"))
    Membership.objects.create(user=user, vertical=None, role="coo")
    refused(lambda: Membership.objects.create(user=user, vertical=None, role="coo"))


def test_a_requirement_cannot_be_answered_before_it_was_raised():
    raised = timezone.now()
    refused(
        lambda: factories.RequirementFactory(
            raised_at=raised, first_response_at=raised - dt.timedelta(hours=1)
        )
    )
    refused(
        lambda: factories.RequirementFactory(
            raised_at=raised, resolved_at=raised - dt.timedelta(hours=1)
        )
    )


def test_policy_thresholds_are_checked():
    refused(lambda: MetricPolicy.objects.create(deep_min_dag_rate=1.5))
    refused(lambda: MetricPolicy.objects.create(green_min_score=30, yellow_min_score=60))
