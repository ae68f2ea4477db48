"""Who may see which verticals: the one place that scoping by vertical is decided."""

from __future__ import annotations

from django.db.models import Exists, QuerySet

from .models import COMPANY_ROLES, WORKING_ROLES, Membership, Role, Vertical


def _company_memberships(user):
    return Membership.objects.filter(
        user=user, role__in=[r.value for r in COMPANY_ROLES], vertical__isnull=True
    )


def sees_all_verticals(user) -> bool:
    """Superusers and company-wide roles (COO, API client) see every vertical."""
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_frontline_sees_all", None)
    if cached is None:
        cached = _company_memberships(user).exists()
        user._frontline_sees_all = cached
    return cached


def has_company_role(user_ref) -> Exists:
    """`sees_all_verticals`' question as an annotation, so a query that loads users answers it too.

    `user_ref` points at the user, e.g. OuterRef("user_id"); give the answer
    to `remember_company_role` and `sees_all_verticals` asks no more.
    """
    return Exists(_company_memberships(user_ref))


def remember_company_role(user, has_role: bool) -> None:
    user._frontline_sees_all = has_role


def user_roles(user) -> set[str]:
    if not user or not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(user=user).values_list("role", flat=True))


def has_role(user, role: str) -> bool:
    return role in user_roles(user)


def is_coo(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or has_role(user, Role.COO)))


def visible_vertical_ids(user) -> list[int] | None:
    """Ids of the verticals the user may see, or None for all of them."""
    if sees_all_verticals(user):
        return None
    if not user or not user.is_authenticated:
        return []
    cached = getattr(user, "_frontline_vertical_ids", None)
    if cached is None:
        cached = sorted(
            set(
                Membership.objects.filter(user=user, vertical__isnull=False).values_list(
                    "vertical_id", flat=True
                )
            )
        )
        user._frontline_vertical_ids = cached
    return cached


def verticals_visible_to(user) -> QuerySet[Vertical]:
    ids = visible_vertical_ids(user)
    qs = Vertical.objects.all()
    return qs if ids is None else qs.filter(id__in=ids)


def scope_by_vertical(queryset: QuerySet, user, *, vertical_field: str) -> QuerySet:
    """Restrict any queryset to the user's verticals through `vertical_field` (a lookup path)."""
    ids = visible_vertical_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{vertical_field}__in": ids})


def staffing(vertical: Vertical) -> dict[str, int]:
    """How many people hold each working role in the vertical."""
    counts = {r.value: 0 for r in WORKING_ROLES}
    for role in vertical.memberships.filter(role__in=list(counts)).values_list("role", flat=True):
        counts[role] += 1
    return counts


def people_visible_to(user) -> QuerySet:
    """Our people the user may pick (owners, attendees): members of the user's verticals.

    Holders of the COO role are included for everyone because the COO joins
    visits in every vertical; superusers, the COO and API clients see everyone.
    """
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef, Q

    people = get_user_model().objects.all()
    ids = visible_vertical_ids(user)
    if ids is None:
        return people
    member = Membership.objects.filter(user=OuterRef("pk")).filter(
        Q(vertical_id__in=ids) | Q(role=Role.COO, vertical__isnull=True)
    )
    return people.filter(Exists(member))
