"""set_memberships: a person's memberships made exactly those of a role list, by import_people's code."""

from __future__ import annotations

import pytest

from tests import factories
from verticals.models import Membership
from verticals.services import role_rows, set_memberships

pytestmark = pytest.mark.django_db


def held(user):
    return sorted(
        (m.role, m.vertical.code if m.vertical else "")
        for m in Membership.objects.filter(user=user).select_related("vertical")
    )


def apply(user, roles, **kwargs):
    rows = role_rows(user=user, full_name=kwargs.get("name", ""), email="", roles=roles)
    return set_memberships(user=user, rows=rows)


def test_roles_are_added_removed_and_rejected_entries_named_by_position():
    user = factories.person("bd", "energy_resources", username="li")
    sync = apply(
        user, ["csm:manufacturing", " lead : agri_food ", "csm:nowhere", "wizard", "coo:x"]
    )
    assert held(user) == [("csm", "manufacturing"), ("lead", "agri_food")]
    assert sync.removed == 1 and sync.report.loaded == 2
    assert [(e.line, e.field) for e in sync.report.rejected] == [
        (3, "vertical"),
        (4, "role"),
        (5, "vertical"),
    ]
    assert set(user.groups.values_list("name", flat=True)) == {"CSM", "Lead"}
    assert user.is_staff

    again = apply(user, ["csm:manufacturing", "lead:agri_food"])
    assert again.removed == 0 and again.report.loaded == 0  # idempotent


def test_no_roles_left_means_no_staff_but_a_superuser_stays_staff():
    user = factories.person("csm", "manufacturing", username="wang")
    apply(user, [])
    assert held(user) == [] and not user.is_staff
    assert not user.groups.exists()
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    apply(root, ["api_client"])
    root.refresh_from_db()
    assert held(root) == [("api_client", "")] and root.is_staff


def test_an_api_client_role_alone_is_not_staff():
    user = factories.person("csm", "manufacturing", username="robot")
    apply(user, ["api_client"])
    assert held(user) == [("api_client", "")] and not user.is_staff
