"""`POST /api/v1/policy/what-if/`: what a proposed metric definition would do on a day, nothing saved.

The computation is metrics.whatif. Only the COO may ask (a superuser, a
person with the `coo` role, or a token of such a user): the answer covers
every vertical, and a definition is the COO's to change. The request writes
nothing, so it is a read even though it is a POST (the proposal is a body,
not a query string): a read-only COO token may use it, and the default
`TokenWriteAllowed` permission is deliberately not applied here.
"""

from __future__ import annotations

import logging

from django.db import models
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import accounts_visible_to
from core.api.errors import READ_ERRORS, UNSUPPORTED_MEDIA
from core.api.params import FIRST_DATE
from core.days import business_today, is_future
from metrics import whatif
from metrics.models import MetricPolicy
from verticals.api.auth import SingleValuedQueryParameters
from verticals.selectors import is_coo

logger = logging.getLogger("frontline.api")


class IsCOO(permissions.BasePermission):
    """The COO (or a superuser), whether by session or by token."""

    message = _("Only the COO may run a policy what-if.")

    def has_permission(self, request, view):
        allowed = is_coo(request.user)
        if not allowed:
            # ASVS 16.3.2: failed authorisation is logged (the user, never a token key).
            logger.warning("api what-if refused: user %s is not the COO", request.user.pk)
        return allowed


def _policy_schema() -> dict:
    """The proposal's JSON schema: the accepted settings, each with its type and range, no others."""
    properties = {}
    for name, (low, high) in whatif.setting_ranges().items():
        is_float = isinstance(MetricPolicy._meta.get_field(name), models.FloatField)
        setting = {"type": "number" if is_float else "integer"}
        if low is not None:
            setting["minimum"] = low
        if high is not None:
            setting["maximum"] = high
        properties[name] = setting
    return {"type": "object", "properties": properties, "additionalProperties": False}


@extend_schema_field(_policy_schema())
class PolicyProposalField(serializers.DictField):
    """A {setting: value} object; validated by metrics.whatif.validate_proposal."""


class WhatIfRequestSerializer(serializers.Serializer):
    date = serializers.DateField(help_text=_("The day to compute (YYYY-MM-DD), not in the future."))
    policy = PolicyProposalField(
        help_text=_(
            "Proposed settings, any subset of (allowed range): %(names)s. Unnamed settings keep "
            "their current value."
        )
        % {
            "names": ", ".join(
                f"{name} ({low}–{high})" for name, (low, high) in whatif.setting_ranges().items()
            )
        },
    )

    def validate_date(self, value):
        if value < FIRST_DATE:
            raise serializers.ValidationError(
                _("Must be on or after %(first)s.") % {"first": FIRST_DATE}
            )
        if is_future(value):
            raise serializers.ValidationError(
                _("Must not be after today (%(today)s): there is no data yet.")
                % {"today": business_today()}
            )
        return value


class CountsSerializer(serializers.Serializer):
    dag_accounts = serializers.IntegerField()
    deep_customers = serializers.IntegerField()


class SideSerializer(CountsSerializer):
    by_vertical = serializers.DictField(
        child=CountsSerializer(), help_text=_("The same counts per vertical code.")
    )


class FlagsSerializer(serializers.Serializer):
    is_dag = serializers.BooleanField()
    level = serializers.IntegerField(min_value=0, max_value=3)


class ChangeSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    before = FlagsSerializer()
    after = FlagsSerializer()


class WhatIfResponseSerializer(serializers.Serializer):
    current = SideSerializer()
    proposed = SideSerializer()
    changed = ChangeSerializer(many=True)


_COUNTS = {"dag_accounts": 812, "deep_customers": 57}
_EXAMPLE_ANSWER = {
    "current": {
        **_COUNTS,
        "by_vertical": {"manufacturing": {"dag_accounts": 240, "deep_customers": 21}},
    },
    "proposed": {
        "dag_accounts": 790,
        "deep_customers": 55,
        "by_vertical": {"manufacturing": {"dag_accounts": 231, "deep_customers": 20}},
    },
    "changed": [
        {
            "external_id": "ent-00042",
            "before": {"is_dag": True, "level": 3},
            "after": {"is_dag": False, "level": 3},
        }
    ],
}


class PolicyWhatIfView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsCOO, SingleValuedQueryParameters]

    @extend_schema(
        operation_id="policy_what_if",
        summary=_("What a proposed metric policy would do on a day, without saving it"),
        description=_(
            "DAG accounts and deep-integration customers on the day under the current policy and "
            "under the proposal, in total and per vertical, and every account whose DAG flag or "
            "deep-integration level would change. Nothing is written, so a read-only token may "
            "ask. COO only (or a token of a user with the coo role); others get 403. An unknown "
            "setting or a value out of range gets 400 naming it (field policy.<setting>)."
        ),
        request=WhatIfRequestSerializer,
        responses={
            200: WhatIfResponseSerializer,
            **READ_ERRORS,
            415: UNSUPPORTED_MEDIA,
        },
        examples=[
            OpenApiExample(
                "Stricter DAG",
                value={"date": "2026-11-24", "policy": {"dag_min_minutes": 90}},
                request_only=True,
            ),
            OpenApiExample("Answer", value=_EXAMPLE_ANSWER, response_only=True),
            OpenApiExample(
                "Unknown setting",
                value={
                    "errors": [
                        {
                            "field": "policy.dag_minutes",
                            "reason": "Unknown setting dag_minutes; the what-if accepts "
                            + ", ".join(whatif.ACCEPTED_SETTINGS)
                            + ".",
                        }
                    ]
                },
                response_only=True,
                status_codes=["400"],
            ),
            OpenApiExample(
                "Not the COO",
                value={
                    "errors": [{"field": None, "reason": "Only the COO may run a policy what-if."}]
                },
                response_only=True,
                status_codes=["403"],
            ),
        ],
    )
    def post(self, request):
        body = WhatIfRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            answer = whatif.what_if(
                day=body.validated_data["date"],
                proposed=body.validated_data["policy"],
                # The COO sees every vertical; scoped through the one selector all the same.
                accounts_qs=accounts_visible_to(request.user),
            )
        except whatif.PolicyProposalError as error:
            errors = {name: [reason] for name, reason in error.errors.items() if name != "policy"}
            raise serializers.ValidationError(
                {"policy": errors or [error.errors["policy"]]}
            ) from None
        return Response(answer)


# Mounted under /api/v1/ by config/api_urls.py (`path("", include("metrics.api.whatif"))`).
urlpatterns = [
    path("policy/what-if/", PolicyWhatIfView.as_view(), name="api-policy-what-if"),
]
