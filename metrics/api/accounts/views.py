"""Accounts over REST: the list with its health summary, and one account."""

from __future__ import annotations

from django.db.models import (
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics
from rest_framework.response import Response

from accounts import list_cache
from accounts.models import Account
from accounts.selectors import accounts_visible_to
from core.api.errors import READ_ERRORS, READ_ONE_ERRORS, NotFoundError
from core.api.pagination import KeysetPagination
from core.api.params import date_param, date_parameter, is_clean_path_value
from core.days import last_complete_day as default_day
from metrics.models import AccountDailyStatus
from verticals.selectors import visible_vertical_ids

from .filters import AccountFilter, has_health_filter, health_day_for
from .serializers import AccountDetailSerializer, AccountSerializer

# The inline health summary: columns of each account's latest computed status.
HEALTH_COLUMNS = {
    "health_day": "day",
    "health_score": "score",
    "health_color": "color",
    "health_is_dag": "is_dag",
    "health_dag_rate": "dag_rate",
    "health_level": "deep_integration_level",
}


# The list joins its health day's status under this name; its health_* columns read that row.
DAY_STATUS = "day_status"


def with_health(accounts: QuerySet[Account], *, day=None) -> QuerySet[Account]:
    """Annotate each account with its computed status (`health_*`; NULL when there is none).

    The status of `day`, joined once (LEFT JOIN on the status key (account,
    day), named DAY_STATUS so that filters and orderings use the same row);
    or each account's latest status when `day` is None, one correlated
    subquery per column on the status primary key, evaluated only for the rows
    of the page. Either way a list is one query whatever its length.
    """
    if day is not None:
        accounts = accounts.annotate(
            **{DAY_STATUS: FilteredRelation("daily_statuses", condition=Q(daily_statuses__day=day))}
        )
        return accounts.annotate(
            **{name: F(f"{DAY_STATUS}__{column}") for name, column in HEALTH_COLUMNS.items()}
        )
    statuses = AccountDailyStatus.objects.filter(account_id=OuterRef("pk")).order_by("-day")
    return accounts.annotate(
        **{name: Subquery(statuses.values(column)[:1]) for name, column in HEALTH_COLUMNS.items()}
    )


def visible_account(request, external_id: str) -> Account:
    """The caller's account with this external_id; 404 for other verticals' accounts too."""
    account = None
    if is_clean_path_value(external_id):
        account = (
            accounts_visible_to(request.user)
            .select_related("vertical", "owner_csm")
            .filter(external_id=external_id)
            .first()
        )
    if account is None:
        raise NotFoundError("external_id", _("No account with this external_id."))
    return account


ACCOUNT_EXAMPLE = {
    "external_id": "ent-00042",
    "name": "Sany Heavy Industry",
    "local_name": "三一重工",
    "vertical": "manufacturing",
    "headcount": 35000,
    "size_tier": "10k",
    "region": "Central China",
    "dedicated_deployment": True,
    "cloud_customer": False,
    "stage": "expanding",
    "owner_csm": "csm_manufacturing",
    "renewal_date": "2027-03-31",
    "health": {
        "date": "2026-11-24",
        "score": 78,
        "color": "green",
        "is_dag": True,
        "dag_rate": 0.8,
        "deep_integration_level": 3,
    },
}


@extend_schema_view(
    get=extend_schema(
        operation_id="accounts_list",
        summary=_("List accounts with their health"),
        description=_(
            "The accounts of the caller's verticals, each with a summary of its computed status "
            "on the health day: `date` when given, else the latest day computed up to yesterday "
            "(Asia/Shanghai), the day the nightly computation covers for every account. `health` "
            "is null for an account with no status that day; the full status of any day is at "
            "…/health/. Health filters apply to that day. Pages are cursor-based: follow `next`."
        ),
        parameters=[
            date_parameter(
                "date", _("Health day (YYYY-MM-DD); the latest computed day when omitted.")
            )
        ],
        responses={200: AccountSerializer(many=True), **READ_ERRORS},
        examples=[
            OpenApiExample(
                "A page",
                value=ACCOUNT_EXAMPLE,
                response_only=True,
            )
        ],
    )
)
class AccountListView(generics.ListAPIView):
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    pagination_class = KeysetPagination
    ordering_fields = {
        "name": ("name", "str"),
        "external_id": ("external_id", "str"),
        "headcount": ("sort_headcount", "int"),
        "score": ("sort_score", "int"),
        "dag_rate": ("sort_dag_rate", "float"),
    }
    # The unique, indexed id: the first page is an index range whatever the number of accounts.
    default_ordering = "external_id"
    keyset_tiebreak = ("external_id", "str")
    # Score ties go by account id: the status index (day, score, account) then holds the whole
    # order, ties included.
    keyset_tiebreaks = {"score": ("id", "int")}

    # Sort keys read from the health day's status: (status column, type, the key of an account
    # with no status that day when sorting down, when sorting up). Such accounts come last
    # either way: below every real value going down, above every real value going up.
    HEALTH_SORT_KEYS = {
        "sort_score": ("health_score", IntegerField, (-1, 1_000)),
        "sort_dag_rate": ("health_dag_rate", FloatField, (-1.0, 1_000.0)),
    }

    def list(self, request, *args, **kwargs):
        """A page from the shared cache when this caller's scope already asked for it (list_cache)."""
        if not list_cache.enabled():
            return super().list(request, *args, **kwargs)
        asked = date_param(request, "date")
        key = list_cache.page_key(
            request,
            scope=visible_vertical_ids(request.user),
            health_day=asked.isoformat() if asked else f"latest-to-{default_day()}",
        )
        page = list_cache.get_page(key)
        if page is not None:
            return Response(page)
        response = super().list(request, *args, **kwargs)
        list_cache.store_page(key, response.data)
        return response

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation (also run by `check`) must not touch the database.
            return Account.objects.none()
        accounts = with_health(
            accounts_visible_to(self.request.user).select_related("vertical", "owner_csm"),
            day=health_day_for(self.request),
        )
        requested = (self.request.query_params.get("ordering") or "").lstrip("-")
        if requested == "headcount":  # no headcount sorts as -1, before every real one
            accounts = accounts.annotate(
                sort_headcount=Coalesce(F("headcount"), Value(-1), output_field=IntegerField())
            )
        return accounts

    def keyset_parts(self, queryset, key: str, *, descending: bool) -> list[QuerySet]:
        """The list in ascending order of `key`, in parts (KeysetPagination reads them in turn).

        A health sort key splits it in two: the accounts with a status on the
        health day (key = the status column) and those without one, which come
        last in either direction (a constant key past every real value). The
        first part joins the status and sorts on the column itself, so PostgreSQL
        walks the status index (day, score, account) — or (day, color, score)
        under a colour filter — and stops after a page instead of sorting every
        account; the second is read only when the first runs out. Under a health
        filter only the first can match.
        """
        if key not in self.HEALTH_SORT_KEYS:
            return [queryset]
        column, output, (below, above) = self.HEALTH_SORT_KEYS[key]
        with_status = queryset.filter(health_day__isnull=False).annotate(**{key: F(column)})
        if has_health_filter(self.request):
            return [with_status]
        without_status = queryset.filter(health_day__isnull=True).annotate(
            **{key: Value(below if descending else above, output_field=output())}
        )
        return [without_status, with_status] if descending else [with_status, without_status]


@extend_schema_view(
    get=extend_schema(
        operation_id="accounts_retrieve",
        summary=_("One account"),
        description=_(
            "The account with a summary of its latest computed status (whatever its day; null "
            "before the first computation). Other verticals' accounts answer 404."
        ),
        parameters=[
            OpenApiParameter(
                "external_id",
                str,
                OpenApiParameter.PATH,
                description=_("The customer's stable id on the platform."),
            )
        ],
        responses={200: AccountDetailSerializer, **READ_ONE_ERRORS},
        examples=[
            OpenApiExample(
                "An account",
                value={
                    **ACCOUNT_EXAMPLE,
                    "created_at": "2026-01-05T09:00:00+08:00",
                    "updated_at": "2026-11-20T17:30:00+08:00",
                },
                response_only=True,
            )
        ],
    )
)
class AccountDetailView(generics.RetrieveAPIView):
    serializer_class = AccountDetailSerializer

    def get_object(self):
        external_id = self.kwargs["external_id"]
        if not is_clean_path_value(external_id):
            raise NotFoundError("external_id", _("No account with this external_id."))
        account = (
            with_health(
                accounts_visible_to(self.request.user).select_related("vertical", "owner_csm")
            )
            .filter(external_id=external_id)
            .first()
        )
        if account is None:
            raise NotFoundError("external_id", _("No account with this external_id."))
        return account
