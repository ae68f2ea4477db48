"""factory-boy factories shared by the whole suite."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Account, AccountTeamMember, Contact, IntegrationProject, Stage
from core.days import business_today
from metrics.models import App, AppUsage, Connector, ConnectorUsage
from verticals.models import ROLE_GROUPS, STAFF_ROLES, Membership, Role, Vertical
from visits.models import ActionItem, Requirement, Visit


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-frontline-1")


def vertical(code: str = "manufacturing") -> Vertical:
    """One of the five verticals the migrations create."""
    return Vertical.objects.get(code=code)


def person(role: str, vertical_code: str | None = "manufacturing", **kwargs):
    """A user holding `role` (in the vertical for vertical roles), staffed and grouped as import_people does."""
    user = UserFactory(**kwargs)
    v = None if role in (Role.COO, Role.API_CLIENT) else vertical(vertical_code)
    Membership.objects.get_or_create(user=user, vertical=v, role=role)
    user.groups.add(Group.objects.get(name=ROLE_GROUPS[Role(role)]))
    if role in STAFF_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    external_id = factory.Sequence(lambda n: f"acct-{n:05d}")
    name = factory.Sequence(lambda n: f"Enterprise {n}")
    local_name = factory.Sequence(lambda n: f"企业{n}")
    vertical = factory.LazyFunction(lambda: vertical("manufacturing"))
    headcount = 5_000
    region = "East China"
    stage = Stage.ADOPTING


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    title = "CIO"


class AccountTeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountTeamMember

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.CSM


class IntegrationProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntegrationProject

    account = factory.SubFactory(AccountFactory)
    name = "ERP connector"


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    account = factory.SubFactory(AccountFactory)
    author = factory.SubFactory(UserFactory)
    visited_on = factory.LazyFunction(business_today)
    purpose = "Quarterly review"


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    account = factory.SubFactory(AccountFactory)
    title = "Connect the Kingdee ERP"
    raised_at = factory.LazyFunction(timezone.now)


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    account = factory.SubFactory(AccountFactory)
    title = "Send the integration plan"
    due_on = factory.LazyFunction(lambda: business_today() + dt.timedelta(days=7))


def app(code: str) -> App:
    return App.objects.get(code=code)


def connector(code: str) -> Connector:
    return Connector.objects.get(code=code)


def app_usage(account, day, app_code, minutes, active_users=1) -> AppUsage:
    return AppUsage.objects.create(
        account=account, day=day, app=app(app_code), minutes=minutes, active_users=active_users
    )


def connector_usage(account, day, connector_code, records) -> ConnectorUsage:
    return ConnectorUsage.objects.create(
        account=account, day=day, connector=connector(connector_code), records=records
    )


def cta(
    account,
    trigger: str = "no_recent_visit",
    *,
    owner=None,
    opened_on: dt.date,
    due_in: int = 7,
    status: str = "open",
    closed_on: dt.date | None = None,
    note: str = "",
    numbers: dict | None = None,
    steps: list[str] = ("Book a visit",),
):
    """A CTA of the play of `trigger` (closed on `closed_on` unless open)."""
    from plays.models import CTA, Play

    closed = status != "open"
    return CTA.objects.create(
        account=account,
        play=Play.objects.get(trigger=trigger),
        status=status,
        reason_numbers=numbers if numbers is not None else {"days": 45, "last_visit": None},
        opened_on=opened_on,
        due_on=opened_on + dt.timedelta(days=due_in),
        owner=owner,
        steps=[{"text": text, "done": False} for text in steps],
        note=note,
        last_evaluated_on=closed_on or opened_on,
        last_held_on=opened_on,
        clear_streak=3 if status == "resolved" else 0,
        closed_on=closed_on if closed else None,
        closed_at=timezone.now() if closed else None,
    )
