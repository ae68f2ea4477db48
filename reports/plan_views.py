"""Pages of reports: the executive's visit planner (/plan/)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

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
        self.fields["region"].choices = [("", _("All regions"))] + [
            (r, r) for r in planner.plan_regions(user=user)
        ]
        self.fields["vertical"].choices = [("", _("All verticals"))] + [
            (v.code, str(v)) for v in verticals_visible_to(user)
        ]


@login_required
def visit_plan(request: HttpRequest) -> HttpResponse:
    """The accounts the user may see, ranked by what a visit is worth now, grouped by region."""
    form = PlanFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    day = filters.get("date") or planner.default_plan_day()
    policy = planner.current_policy()
    entries = planner.visit_plan(
        user=request.user,
        day=day,
        region=filters.get("region", ""),
        vertical=filters.get("vertical", ""),
        policy=policy,
    )
    groups = planner.group_by_region(entries)
    for group in groups:
        group.hidden = max(0, len(group.entries) - PER_REGION)
        group.shown = group.entries[:PER_REGION]
    return render(
        request,
        "visits/plan.html",
        {
            "form": form,
            "day": day,
            "groups": groups,
            "total": len(entries),
            "weights": planner.plan_weights(policy),
            "policy": policy,
            "trip_size": planner.TRIP_SIZE,
            "trend_days": planner.TREND_DAYS,
        },
    )
