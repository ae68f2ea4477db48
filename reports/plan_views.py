"""Pages of reports: the executive's visit planner (/plan/)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.models import region_label
from core.days import FUTURE_DAY, day_or_default, is_future
from metrics.models import MetricPolicy
from verticals.selectors import verticals_visible_to

from . import planner

# Accounts shown per region; a trip holds 2–3 visits, so the best ten leave room to choose.
PER_REGION = 10


class PlanFilterForm(forms.Form):
    """The plan's filters; all optional. Choices come from what the user may see."""

    date = forms.DateField(label=_("Date"), required=False, input_formats=["%Y-%m-%d"])
    region = forms.ChoiceField(label=_("Region"), required=False)
    vertical = forms.ChoiceField(label=_("Vertical"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vertical"].error_messages["invalid_choice"] = _(
            "%(value)s is not one of your verticals."
        )
        self.fields["region"].error_messages["invalid_choice"] = _(
            "None of the accounts you may see is in %(value)s."
        )
        self.fields["region"].choices = [("", _("All regions"))] + [
            (r, region_label(r)) for r in planner.plan_regions(user=user)
        ]
        self.fields["vertical"].choices = [("", _("All verticals"))] + [
            (v.code, str(v)) for v in verticals_visible_to(user)
        ]

    def clean_date(self):
        day = self.cleaned_data["date"]
        # As the pipeline: a plan for a day without stored status would rank on nothing.
        if day and is_future(day):
            raise forms.ValidationError(FUTURE_DAY)
        return day

    def accepted(self) -> dict:
        """The filters that passed; a refused one falls back to its default (its error is shown)."""
        if self.is_bound:
            self.is_valid()
        return dict(getattr(self, "cleaned_data", {}))

    def refusals(self) -> list[str]:
        return [
            f"{self.fields[name].label}: {message}"
            for name, messages in self.errors.items()
            for message in messages
        ]


@login_required
def visit_plan(request: HttpRequest) -> HttpResponse:
    """The accounts the user may see, ranked by what a visit is worth now, grouped by region."""
    form = PlanFilterForm(request.GET or None, user=request.user)
    filters = form.accepted()
    day = day_or_default(filters.get("date"))
    policy = MetricPolicy.objects.current()
    entries = planner.visit_plan(
        user=request.user,
        day=day,
        region=filters.get("region", ""),
        vertical=filters.get("vertical", ""),
        policy=policy,
    )
    groups = planner.group_by_region(entries)
    one_region = bool(filters.get("region"))
    for group in groups:
        # With one region chosen every account of it is listed; otherwise the best few.
        group.shown = group.entries if one_region else group.entries[:PER_REGION]
        group.hidden = len(group.entries) - len(group.shown)
        group.rest_url = "?" + urlencode(
            {
                "date": day.isoformat(),
                "region": group.region,
                "vertical": filters.get("vertical", ""),
            }
        )
    return render(
        request,
        "visits/plan.html",
        {
            "form": form,
            "refusals": form.refusals() if form.is_bound else [],
            "day": day,
            "groups": groups,
            "total": len(entries),
            "weights": planner.plan_weights(policy),
            "policy": policy,
            "trip_size": planner.TRIP_SIZE,
            "trend_days": planner.TREND_DAYS,
        },
    )
