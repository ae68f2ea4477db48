"""Writes for verticals and people: onboarding staff from a CSV of memberships, or from sign-in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from core.csv_import import (
    ImportReport,
    RowRejected,
    check_choice,
    check_length,
    loads_nothing,
    parsed_rows,
    require,
    require_columns,
)

from .models import (
    COMPANY_ROLES,
    ROLE_GROUPS,
    STAFF_ROLES,
    VERTICAL_ROLES,
    Membership,
    Role,
    UserPreference,
    Vertical,
)

PEOPLE_COLUMNS = ("username", "full_name", "email", "vertical", "role")

_username_validator = UnicodeUsernameValidator()


def _parse_person(row: dict, verticals: dict[str, Vertical]) -> dict:
    username = require(row, "username")
    check_length("username", username, limit=150)
    try:
        _username_validator(username)
    except ValidationError:
        raise RowRejected(
            "username",
            _("%(value)r may contain only letters, digits and @/./+/-/_") % {"value": username},
        ) from None
    require_columns(row, ("full_name", "email", "vertical"))
    full_name = check_length("full_name", row["full_name"], limit=150)
    email = row["email"]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise RowRejected(
                "email", _("%(value)r is not an email address") % {"value": email}
            ) from None
    role = check_choice("role", require(row, "role"), Role.values)
    code = row["vertical"]
    vertical = None
    if role in VERTICAL_ROLES:
        if not code:
            raise RowRejected("vertical", _("role %(role)s needs a vertical code") % {"role": role})
        vertical = verticals.get(code)
        if vertical is None:
            raise RowRejected("vertical", _("unknown vertical %(value)r") % {"value": code})
    elif role in COMPANY_ROLES and code:
        raise RowRejected(
            "vertical", _("role %(role)s is company-wide; leave vertical empty") % {"role": role}
        )
    return {
        "username": username,
        "full_name": full_name,
        "email": email,
        "role": role,
        "vertical": vertical,
    }


def import_people(*, rows: Iterable[tuple[int, dict]], skip_invalid: bool) -> ImportReport:
    """Create missing users and add missing memberships; re-importing changes nothing.

    New users get no usable password until one is set. Working roles, leads and
    the COO become staff (they work in the admin); API clients do not.
    """
    report = ImportReport()
    parsed = _parse_people(rows, report)
    if loads_nothing(report, skip_invalid=skip_invalid):
        return report
    with transaction.atomic():
        _load_people(parsed, report)
    return report


def _parse_people(rows: Iterable[tuple[int, dict]], report: ImportReport) -> list[dict]:
    verticals = {v.code: v for v in Vertical.objects.all()}
    return list(
        parsed_rows(
            rows,
            parse=lambda row: _parse_person(row, verticals),
            report=report,
            columns=PEOPLE_COLUMNS,
        )
    )


def _load_people(parsed: list[dict], report: ImportReport) -> set[int]:
    """Apply parsed rows (inside the caller's transaction); the ids of the rows' memberships."""
    User = get_user_model()
    groups = {role: Group.objects.get_or_create(name=name)[0] for role, name in ROLE_GROUPS.items()}
    membership_ids: set[int] = set()
    users = {
        u.username: u for u in User.objects.filter(username__in={p["username"] for p in parsed})
    }
    for person in parsed:
        user = users.get(person["username"])
        if user is None:
            user = User(
                username=person["username"],
                first_name=person["full_name"],
                email=person["email"],
            )
            user.set_unusable_password()
            user.save()
            users[user.username] = user
            report.created += 1
        else:
            changed = False
            if person["full_name"] and user.first_name != person["full_name"]:
                user.first_name = person["full_name"]
                changed = True
            if person["email"] and user.email != person["email"]:
                user.email = person["email"]
                changed = True
            if changed:
                user.save(update_fields=["first_name", "email"])
                report.updated += 1
        if person["role"] in STAFF_ROLES and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        membership, created = Membership.objects.get_or_create(
            user=user, vertical=person["vertical"], role=person["role"]
        )
        membership_ids.add(membership.id)
        user.groups.add(groups[person["role"]])
        if created:
            report.loaded += 1
    return membership_ids


def role_rows(*, user, full_name: str, email: str, roles: list[str]) -> list[tuple[int, dict]]:
    """`import_people` rows for one person from role entries such as "csm:manufacturing", "coo".

    Row numbers count the entries from 1, so a rejected entry is named by its place in the list.
    """
    rows = []
    for number, entry in enumerate(roles, start=1):
        role, _sep, code = str(entry).strip().partition(":")
        rows.append(
            (
                number,
                {
                    "username": user.username,
                    "full_name": full_name,
                    "email": email,
                    "vertical": code.strip(),
                    "role": role.strip(),
                },
            )
        )
    return rows


@dataclass
class MembershipSync:
    """What `set_memberships` did: `import_people`'s report, and how many memberships it removed."""

    report: ImportReport
    removed: int


def set_memberships(*, user, rows: Iterable[tuple[int, dict]]) -> MembershipSync:
    """Make `user`'s memberships exactly the valid rows: `import_people`'s rows, then removal.

    Rows are parsed and applied by the same code as `import_people` (a rejected row, such as an
    unknown vertical code, is skipped and reported); memberships the rows do not name are
    removed, with the permission groups of roles no longer held. Staff status follows the roles
    held (a superuser keeps it).
    """
    report = ImportReport()
    parsed = [p for p in _parse_people(rows, report) if p["username"] == user.username]
    with transaction.atomic():
        kept = _load_people(parsed, report)
        stale = Membership.objects.filter(user=user).exclude(id__in=kept)
        _total, deleted = stale.delete()
        removed = deleted.get(Membership._meta.label, 0)
        held = set(Membership.objects.filter(user=user).values_list("role", flat=True))
        user.groups.remove(
            *Group.objects.filter(
                name__in=[name for role, name in ROLE_GROUPS.items() if role not in held]
            )
        )
        is_staff = user.is_superuser or bool(held & {r.value for r in STAFF_ROLES})
        if user.is_staff != is_staff:
            type(user).objects.filter(pk=user.pk).update(is_staff=is_staff)
        user.refresh_from_db()
    return MembershipSync(report=report, removed=removed)


# The person's language, kept in their session so each request applies it without a query.
SESSION_LANGUAGE_KEY = "frontline_language"


def remember_language(*, user, language: str) -> None:
    """Store `language` (one of settings.LANGUAGES) as the person's own choice."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(
            _("%(language)s is not a language of the site.") % {"language": language}
        )
    UserPreference.objects.update_or_create(user=user, defaults={"language": language})


def preferred_language(user) -> str:
    """The person's stored language, or "" when they never chose one."""
    return UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""
