"""MetricPolicy.objects.current(): the newest saved version, else an unsaved default."""

import pytest

from metrics.models import MetricPolicy
from visits.selectors import requirement_sla_hours

pytestmark = pytest.mark.django_db


def test_the_current_policy_is_the_newest_saved_version():
    first = MetricPolicy.objects.current()
    assert first.pk is not None  # the migration saves the first version
    first.pk = None
    first.requirement_sla_hours = 48
    first.save()
    assert MetricPolicy.objects.current().pk == first.pk
    assert requirement_sla_hours() == 48


def test_without_a_saved_version_it_is_an_unsaved_policy_of_the_field_defaults():
    MetricPolicy.objects.all().delete()
    policy = MetricPolicy.objects.current()
    assert policy.pk is None
    assert policy.window_days == MetricPolicy._meta.get_field("window_days").default
    # visits reads the SLA through the same rule, not a fallback of its own.
    assert requirement_sla_hours() == MetricPolicy._meta.get_field("requirement_sla_hours").default
