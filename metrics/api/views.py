"""Account health over REST (a day, a range of days) and the two usage feeds as JSON lists."""

from __future__ import annotations

import datetime as dt
import json

from django.db import transaction
from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status as http
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account
from accounts.selectors import accounts_visible_to
from core.api.errors import (
    READ_ONE_ERRORS,
    WRITE_ERRORS,
    InvalidParameter,
    NotFoundError,
    error_response,
)
from core.api.params import (
    FIRST_DATE,
    LAST_DATE,
    date_param,
    date_parameter,
    is_clean_path_value,
)
from core.days import day_or_default
from metrics.api.accounts.views import visible_account
from metrics.models import AccountDailyStatus
from verticals.api.auth import HasModelAddPermission
from verticals.selectors import scope_by_vertical, sees_all_verticals

from .serializers import (
    AppUsageRowSerializer,
    ConnectorUsageRowSerializer,
    HealthHistorySerializer,
    HealthSerializer,
    IngestReportSerializer,
)

# A history covers at most this many days (a year, leap or not).
MAX_HISTORY_DAYS = 366
# Default history: the 30 days ending on the latest computed day.
DEFAULT_HISTORY_DAYS = 30
MAX_FEED_ROWS = 10_000

EXTERNAL_ID = OpenApiParameter(
    "external_id",
    str,
    OpenApiParameter.PATH,
    description=_("The customer's stable id on the platform."),
)

HEALTH_EXAMPLE = {
    "external_id": "ent-00042",
    "date": "2026-11-24",
    "is_dag": True,
    "minutes": 5230,
    "apps_used": 6,
    "dag_days": 24,
    "dag_rate": 0.8,
    "connectors": 3,
    "records": 182000,
    "analytics_days": 12,
    "deep_integration_level": 3,
    "score": 86,
    "color": "green",
    "components": [
        {
            "component": "dag_rate",
            "label": "DAG rate",
            "value": 0.8,
            "points": 30.0,
            "max": 30,
            "effect": "raised",
        },
        {
            "component": "recency",
            "label": "Visit recency",
            "value": 75,
            "points": 7.5,
            "max": 15,
            "effect": "raised",
        },
    ],
    "next_level": None,
    "policy_version": 3,
}


def _statuses():
    return AccountDailyStatus.objects.select_related("policy")


class AccountHealthView(APIView):
    @extend_schema(
        operation_id="accounts_health_retrieve",
        summary=_("An account's computed health on a day"),
        description=_(
            "The stored status of the day: DAG, the window's usage, the deep-integration level, "
            "the health score with its components, and what is missing for the next level "
            "(null at level 3)."
        ),
        parameters=[
            EXTERNAL_ID,
            date_parameter("date", _("Day (YYYY-MM-DD); the latest computed day when omitted.")),
        ],
        responses={200: HealthSerializer, **READ_ONE_ERRORS},
        examples=[
            OpenApiExample("Deep-integration customer", value=HEALTH_EXAMPLE, response_only=True),
            OpenApiExample(
                "Integrated, short of analytics",
                value={
                    **HEALTH_EXAMPLE,
                    "deep_integration_level": 2,
                    "analytics_days": 1,
                    "next_level": {
                        "level": 3,
                        "missing": [{"criterion": "analytics_days", "have": 1, "need": 4}],
                    },
                },
                response_only=True,
            ),
        ],
    )
    def get(self, request, external_id: str):
        day = date_param(request, "date")
        # One query finds the account (in the caller's scope) and its status; only when there is
        # no status does a second one tell "no such account" from "not computed".
        # The account id as an InitPlan, not a join: the planner then probes the status key
        # (account, day) even when its statistics don't know the day yet (planner_stats.py).
        account_id = Account.objects.filter(external_id=external_id).values("pk")[:1]
        statuses = scope_by_vertical(
            _statuses().select_related("account").filter(account_id=Subquery(account_id)),
            request.user,
            vertical_field="account__vertical_id",
        )
        status = None
        if is_clean_path_value(external_id):
            status = statuses.filter(day=day).first() if day else statuses.order_by("-day").first()
        if status is not None:
            account = status.account
        else:
            visible_account(request, external_id)  # 404 naming external_id when it is not one
            raise NotFoundError(
                "date",
                _("No computed status for this account on %(day)s.") % {"day": day}
                if day
                else _("No computed status for this account yet."),
            )
        return Response(HealthSerializer(status, context={"account": account}).data)


class AccountHealthHistoryView(APIView):
    @extend_schema(
        operation_id="accounts_health_history",
        summary=_("An account's computed health over a range of days"),
        description=_(
            "Every computed day from `start` to `end` inclusive, oldest first (days not computed "
            "are absent). At most %(n)d days. `end` defaults to the latest computed day, `start` "
            "to %(d)d days before `end`."
        )
        % {"n": MAX_HISTORY_DAYS, "d": DEFAULT_HISTORY_DAYS - 1},
        parameters=[
            EXTERNAL_ID,
            date_parameter("start", _("First day (YYYY-MM-DD).")),
            date_parameter("end", _("Last day (YYYY-MM-DD), inclusive.")),
        ],
        responses={200: HealthHistorySerializer, **READ_ONE_ERRORS},
        examples=[
            OpenApiExample(
                "Two days",
                value={
                    "external_id": "ent-00042",
                    "start": "2026-11-23",
                    "end": "2026-11-24",
                    "results": [
                        {k: v for k, v in HEALTH_EXAMPLE.items() if k != "external_id"}
                        | {"date": "2026-11-23"},
                        {k: v for k, v in HEALTH_EXAMPLE.items() if k != "external_id"},
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, external_id: str):
        start = date_param(request, "start")
        end = date_param(request, "end")
        account = visible_account(request, external_id)
        statuses = _statuses().filter(account=account)
        if end is None:
            if start is not None:
                end = start + dt.timedelta(days=DEFAULT_HISTORY_DAYS - 1)
            else:
                latest = statuses.order_by("-day").values_list("day", flat=True).first()
                end = latest or day_or_default(None)
        if start is None:
            start = max(FIRST_DATE, end - dt.timedelta(days=DEFAULT_HISTORY_DAYS - 1))
        end = min(end, LAST_DATE)
        if start > end:
            raise InvalidParameter("start", _("Must not be after end."))
        if (end - start).days + 1 > MAX_HISTORY_DAYS:
            raise InvalidParameter(
                "end", _("The range may cover at most %(n)d days.") % {"n": MAX_HISTORY_DAYS}
            )
        rows = statuses.filter(day__range=(start, end)).order_by("day")
        payload = {
            "external_id": account.external_id,
            "start": start,
            "end": end,
            "results": rows,
        }
        return Response(HealthHistorySerializer(payload, context={"account": account}).data)


# --- Feeds -------------------------------------------------------------------------------


class _RowsRejected(Exception):
    """Raised inside the dry-run transaction so nothing is kept."""


def _as_text(value) -> str:
    """A JSON value as the text a CSV cell would hold, so the feed rules apply unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _row_problem(row, numeric: tuple[str, ...]) -> tuple[str | None, str] | None:
    if not isinstance(row, dict):
        return None, str(_("Each row must be a JSON object."))
    for name, value in row.items():
        if isinstance(value, str) and "\x00" in value:
            return name, str(_("Contains a NUL character."))
    from metrics.ingest.feeds import feed_number_too_large
    from metrics.models import FEED_NUMBER_BOUNDS

    for name in numeric:
        value = row.get(name)
        bound = FEED_NUMBER_BOUNDS[name]
        if isinstance(value, int) and not isinstance(value, bool) and value > bound:
            return name, str(feed_number_too_large(name, value))
        if isinstance(value, str):
            text = value.strip()
            # Length first: int() of thousands of digits is refused by Python itself.
            if text.isascii() and text.isdigit() and (len(text) > 30 or int(text) > bound):
                return name, str(feed_number_too_large(name, text))
    return None


class FeedIngestView(APIView):
    """POST a JSON list of feed rows; all are loaded, or none and the rejected rows say why."""

    permission_classes = [*APIView.permission_classes, HasModelAddPermission]
    token_write_suffices = True
    session_needs_staff = True
    add_permission: str
    columns: tuple[str, ...]
    numeric_fields: tuple[str, ...]

    def import_rows(self, rows):  # pragma: no cover - set by subclasses
        raise NotImplementedError

    def post(self, request):
        body = request.data
        if not isinstance(body, list):
            raise InvalidParameter("body", _("Expected a JSON list of rows."))
        if len(body) > MAX_FEED_ROWS:
            raise InvalidParameter(
                "body",
                _("At most %(max)d rows per request; got %(n)d.")
                % {"max": MAX_FEED_ROWS, "n": len(body)},
            )
        errors: list[dict] = []
        rows: list[tuple[int, dict]] = []
        for index, row in enumerate(body):
            problem = _row_problem(row, self.numeric_fields)
            if problem:
                errors.append({"index": index, "field": problem[0], "reason": problem[1]})
            else:
                rows.append((index, {k: _as_text(v) for k, v in row.items() if k in self.columns}))

        # Accounts of other verticals are answered exactly like unknown ones.
        if not sees_all_verticals(request.user):
            named = {(row.get("account") or "").strip() for _, row in rows} - {""}
            visible = set(
                accounts_visible_to(request.user)
                .filter(external_id__in=named)
                .values_list("external_id", flat=True)
            )
            kept = []
            for index, row in rows:
                value = (row.get("account") or "").strip()
                if value and value not in visible:
                    errors.append(
                        {
                            "index": index,
                            "field": "account",
                            "reason": str(_("unknown account %(value)r") % {"value": value}),
                        }
                    )
                else:
                    kept.append((index, row))
            rows = kept

        if errors:
            # Still check the other rows, so the caller sees every problem at once, then undo.
            try:
                with transaction.atomic():
                    report = self.import_rows(rows)
                    raise _RowsRejected
            except _RowsRejected:
                pass
            errors.extend(
                {"index": e.line, "field": e.field, "reason": str(e.reason)}
                for e in report.rejected
            )
        else:
            report = self.import_rows(rows)
            errors = [
                {"index": e.line, "field": e.field, "reason": str(e.reason)}
                for e in report.rejected
            ]
        if errors:
            errors.sort(key=lambda e: e["index"])
            return Response({"errors": errors}, status=http.HTTP_400_BAD_REQUEST)
        return Response(
            {
                "read": len(body),
                "loaded": report.loaded,
                "created": report.created,
                "updated": report.updated,
                "registered": list(report.registered),
            }
        )


def _feed_schema(row_serializer, summary: str, example_row: dict):
    return extend_schema(
        summary=summary,
        description=_(
            "A JSON list of at most %(max)d feed rows. Re-sending a key replaces its values. "
            "If any row is rejected nothing is loaded and the answer lists every rejected row "
            "by its 0-based index, with the field and the reason. Needs a token created with "
            "--write (or a staff session with the add permission); rows may only name accounts "
            "of the caller's verticals (others are unknown). The affected accounts and days are "
            "recomputed afterwards."
        )
        % {"max": MAX_FEED_ROWS},
        request=row_serializer(many=True),
        responses={
            200: OpenApiResponse(
                IngestReportSerializer,
                description=_("All rows loaded."),
                examples=[
                    OpenApiExample(
                        "Loaded",
                        value={
                            "read": 2,
                            "loaded": 2,
                            "created": 1,
                            "updated": 1,
                            "registered": [],
                        },
                    )
                ],
            ),
            **WRITE_ERRORS,
            400: error_response(
                _(
                    "Rejected rows (nothing was loaded), or a body that is not a list of at most "
                    "%(max)d rows."
                )
                % {"max": MAX_FEED_ROWS},
                OpenApiExample(
                    "A rejected row",
                    value={
                        "errors": [
                            {
                                "index": 1,
                                "field": "minutes",
                                "reason": "-5 is negative; must be 0 or more",
                            }
                        ]
                    },
                ),
            ),
        },
        examples=[OpenApiExample("Two rows", value=[example_row, example_row], request_only=True)],
    )


class AppUsageIngestView(FeedIngestView):
    add_permission = "metrics.add_appusage"
    columns = ("account", "date", "app", "minutes", "active_users")
    numeric_fields = ("minutes", "active_users")

    def import_rows(self, rows):
        from metrics.ingest import import_app_usage

        return import_app_usage(rows=rows, skip_invalid=False)

    @_feed_schema(
        AppUsageRowSerializer,
        _("Ingest app usage rows"),
        {
            "account": "ent-00042",
            "date": "2026-11-24",
            "app": "bi",
            "minutes": 95,
            "active_users": 12,
        },
    )
    def post(self, request):
        return super().post(request)


class ConnectorUsageIngestView(FeedIngestView):
    add_permission = "metrics.add_connectorusage"
    columns = ("account", "date", "connector", "records")
    numeric_fields = ("records",)

    def import_rows(self, rows):
        from metrics.ingest import import_connector_usage

        return import_connector_usage(rows=rows, skip_invalid=False)

    @_feed_schema(
        ConnectorUsageRowSerializer,
        _("Ingest connector usage rows"),
        {"account": "ent-00042", "date": "2026-11-24", "connector": "kingdee_k3", "records": 5400},
    )
    def post(self, request):
        return super().post(request)
