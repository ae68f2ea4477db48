"""The account page of the pipeline review: health, usage, connectors, visits, requirements, team."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.selectors import accounts_visible_to
from core.days import business_today
from metrics.models import IntegrationLevel
from plays import selectors as plays_selectors
from reports import pipeline
from reports.charts import chart, day_labels
from reports.views import chosen_day, labelled_next_level

DAG_COLOR = "#1a7f5a"
NOT_DAG_COLOR = "#b8c2cc"


def component_value_text(component: dict) -> str:
    """A health component's value with its unit, as people read it ("12 days since the last
    visit", "73% of days DAG")."""
    value = component["value"]
    name = component["component"]
    if name == "recency" and value is None:
        return _("never visited")
    if value is None:
        return "—"
    if name == "dag_rate":
        return _("%(percent)d%% of the window's days DAG") % {"percent": round(value * 100)}
    if name == "integration":
        return _("level %(level)d (%(label)s)") % {
            "level": value,
            "label": IntegrationLevel(value).label,
        }
    if name == "breadth":
        return ngettext("%(n)d app used", "%(n)d apps used", value) % {"n": value}
    if name == "recency":
        return ngettext(
            "%(n)d day since the last visit", "%(n)d days since the last visit", value
        ) % {"n": value}
    if name == "requirements":
        return ngettext("%(n)d requirement overdue", "%(n)d requirements overdue", value) % {
            "n": value
        }
    return str(value)


def component_effect_text(component: dict) -> str:
    """What the component did to the score: full points, or how many points it fell short."""
    short = round(component["max"] - component["points"], 1)
    if short <= 0:
        return _("full points")
    if component["points"] <= 0:
        return _("no points")
    return _("%(n)s points short") % {"n": f"{short:g}"}


def _charts(review: dict) -> dict[str, dict]:
    history = review["history"]
    minutes = [row["minutes"] if row else None for row in history]
    dag_rate = [round(row["dag_rate"], 3) if row else None for row in history]
    is_dag = [row["is_dag"] if row else None for row in history]
    charts = {
        "usage": chart(
            chart_id="chart-usage",
            title=_("Minutes and DAG days, last 90 days"),
            kind="bar",
            labels=day_labels(review["days"]),
            datasets=[
                {
                    "label": _("Minutes"),
                    "data": minutes,
                    "backgroundColor": [DAG_COLOR if flag else NOT_DAG_COLOR for flag in is_dag],
                    "yAxisID": "y",
                    "order": 2,
                },
                {
                    "label": _("DAG rate (30-day window)"),
                    "data": dag_rate,
                    "type": "line",
                    "yAxisID": "y1",
                    "order": 1,
                },
            ],
            x_title=_("Day"),
            y_title=_("Minutes"),
            percent_axis="y1",
            note=_("Green bars: days the account was a daily active enterprise (DAG); grey: not."),
            extra_columns=[
                (
                    _("Active (DAG) that day"),
                    ["—" if flag is None else (_("yes") if flag else _("no")) for flag in is_dag],
                )
            ],
        ),
    }
    if review["components"]:
        components = review["components"]
        charts["components"] = chart(
            chart_id="chart-components",
            title=_("Health score components"),
            kind="bar",
            horizontal=True,
            labels=[c["label"] for c in components],
            datasets=[
                {"label": _("Points"), "data": [c["points"] for c in components]},
                {"label": _("Maximum"), "data": [c["max"] for c in components]},
            ],
            x_title=_("Component"),
            y_title=_("Points"),
            extra_columns=[
                (_("Value"), [c["value_text"] for c in components]),
                (_("Effect"), [c["effect_text"] for c in components]),
            ],
        )
    if review["connectors"]:
        connectors = review["connectors"]
        charts["connectors"] = chart(
            chart_id="chart-connectors",
            title=_("Records per connector in the window"),
            kind="bar",
            labels=[
                row["connector"].name if row["connector"] else str(row["connector_id"])
                for row in connectors
            ],
            datasets=[
                {"label": _("Records"), "data": [row["total_records"] for row in connectors]}
            ],
            x_title=_("Connector"),
            y_title=_("Records"),
            extra_columns=[(_("Days with records"), [row["active_days"] for row in connectors])],
        )
    return charts


@login_required
def account_detail(request: HttpRequest, external_id: str) -> HttpResponse:
    """/accounts/<external_id>/: one account of the user's verticals (404 for any other)."""
    if not request.user.is_staff:
        # API clients see every vertical over REST but have no pages.
        raise PermissionDenied(_("Account pages are for the people who serve the accounts."))
    account = get_object_or_404(
        accounts_visible_to(request.user).select_related("vertical", "owner_csm"),
        external_id=external_id,
    )
    day, errors = chosen_day(request)
    today = business_today()
    # Health is the stored status of `day` (by default the last complete day); visits and
    # requirements are listed up to today, so a visit logged a minute ago is on the page.
    review = pipeline.account_review(account=account, day=day, visits_until=max(day, today))
    for component in review["components"]:
        component["value_text"] = component_value_text(component)
        component["effect_text"] = component_effect_text(component)
        component["full"] = component["points"] >= component["max"]
    status = review["status"]
    review["next_level"] = labelled_next_level(status)
    path = [
        {
            "level": level,
            "label": label,
            "reached": status is not None and status.deep_integration_level >= level,
        }
        for level, label in IntegrationLevel.choices
    ]
    reviewable = pipeline.pipeline_verticals_for(request.user)
    return render(
        request,
        "accounts/account.html",
        {
            "account": account,
            "review": review,
            "status": status,
            "day": day,
            "day_errors": errors,
            "max_day": today,
            "charts": _charts(review),
            "path": path,
            # After saving, the visit form returns here (visits.admin checks `next` is local).
            "log_visit_url": reverse("admin:visits_visit_add")
            + "?"
            + urlencode({"account": account.pk, "next": request.get_full_path()}),
            "vertical_page": reviewable.filter(pk=account.vertical_id).exists(),
            "ctas": plays_selectors.account_ctas(account=account, today=business_today()),
            "closed_days": plays_selectors.RECENTLY_CLOSED_DAYS,
        },
    )
