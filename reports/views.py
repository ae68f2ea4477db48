"""The COO's pipeline pages: the five verticals side by side, and one vertical with its accounts.

Thin views: parse the day and filters, ask `reports.pipeline` (scoped by
`pipeline_verticals_for`, itself built on the scoping selectors), shape the
charts, render. Anonymous people go to the admin login; people who review no
pipeline (a CSM, an API client) get 403; a lead asking for another
vertical gets 404, as if it did not exist.
"""

from __future__ import annotations

import csv
import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import SizeTier, Stage
from accounts.selectors import accounts_visible_to
from core.days import FUTURE_DAY, business_today, day_or_default, is_future
from metrics.models import HealthColor, IntegrationLevel
from metrics.rules import LEVEL_NAMES
from metrics.status import status_next_level
from plays import selectors as plays_selectors
from verticals.models import Role, Vertical

from . import pipeline
from .charts import chart, day_labels, display_name

ACCOUNTS_PER_PAGE = 25


class DayForm(forms.Form):
    """The day the pages answer for (default: yesterday in Asia/Shanghai)."""

    date = forms.DateField(label=gettext_lazy("Day"), required=False)

    def clean_date(self) -> dt.date | None:
        day = self.cleaned_data["date"]
        if day and is_future(day):
            raise forms.ValidationError(FUTURE_DAY)
        return day


def chosen_day(request: HttpRequest) -> tuple[dt.date, list[str]]:
    """The requested day, or the default day with the reasons the request's date was refused."""
    form = DayForm({"date": request.GET.get("date", "")})
    if not form.is_valid():
        errors = [f"{_('Day')}: {message}" for message in form.errors["date"]]
        return day_or_default(None), errors
    return day_or_default(form.cleaned_data["date"]), []


class AccountFilterForm(forms.Form):
    """Filters and ordering of a vertical's account list."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    stage = forms.ChoiceField(
        label=gettext_lazy("Stage"),
        required=False,
        choices=[("", gettext_lazy("All stages")), *Stage.choices],
    )
    level = forms.TypedChoiceField(
        label=gettext_lazy("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", gettext_lazy("All levels")), *IntegrationLevel.choices],
    )
    color = forms.ChoiceField(
        label=gettext_lazy("Health"),
        required=False,
        choices=[("", gettext_lazy("All colours")), *HealthColor.choices],
    )
    size = forms.ChoiceField(
        label=gettext_lazy("Size"),
        required=False,
        choices=[("", gettext_lazy("All sizes")), *SizeTier.choices],
    )
    dag = forms.ChoiceField(
        label=gettext_lazy("DAG on the day"),
        required=False,
        choices=[
            ("", gettext_lazy("Either")),
            ("yes", gettext_lazy("Active")),
            ("no", gettext_lazy("Not active")),
        ],
    )
    sort = forms.ChoiceField(
        required=False, choices=[(key, key) for key in pipeline.ACCOUNT_ORDERINGS]
    )


def _pipeline_verticals(request: HttpRequest) -> list[Vertical]:
    verticals = list(pipeline.pipeline_verticals_for(request.user))
    if not verticals:
        raise PermissionDenied(_("Only the COO and vertical leads review the pipeline."))
    return verticals


def _level_label(level: int) -> str:
    return str(IntegrationLevel(level).label)


def _charts(review: dict, *, single: bool) -> dict[str, dict]:
    """The charts of the overview (one dataset per vertical) or of one vertical."""
    rows = review["verticals"]
    names = [display_name(row["vertical"]) for row in rows]
    first_full = review["first_full_day"]
    warm_up = ""
    if (
        first_full is not None
        and review["deep_trend_days"]
        and review["deep_trend_days"][0] < first_full
    ):
        warm_up = _(
            "Days before %(day)s are left out: their window holds less than the policy's window "
            "of data."
        ) % {"day": first_full.isoformat()}
    charts = {
        "deep_trend": chart(
            chart_id="chart-deep-trend",
            title=_("Deep-integration customers, weekly over 12 weeks"),
            kind="line",
            labels=day_labels(review["deep_trend_days"]),
            datasets=[
                {"label": n, "data": row["deep_trend"]} for n, row in zip(names, rows, strict=True)
            ],
            x_title=_("Day"),
            y_title=_("Customers"),
            note=warm_up,
        ),
        "dag_trend": chart(
            chart_id="chart-dag-trend",
            title=_("DAG accounts, last 30 days"),
            kind="line",
            labels=day_labels(review["dag_trend_days"]),
            datasets=[
                {"label": n, "data": row["dag_trend"]} for n, row in zip(names, rows, strict=True)
            ],
            x_title=_("Day"),
            y_title=_("Accounts"),
            note=warm_up if review["dag_trend_days"][0] < (first_full or dt.date.min) else "",
        ),
    }
    if single:
        [row] = rows
        charts["stages"] = chart(
            chart_id="chart-stages",
            title=_("Accounts per pipeline stage"),
            kind="bar",
            labels=[str(label) for label in Stage.labels],
            datasets=[
                {"label": _("Accounts"), "data": [row["numbers"]["stages"][s] for s in Stage]}
            ],
            x_title=_("Stage"),
            y_title=_("Accounts"),
        )
        charts["levels"] = chart(
            chart_id="chart-levels",
            title=_("Path to deep integration"),
            kind="bar",
            labels=[_level_label(level) for level in IntegrationLevel.values],
            datasets=[
                {
                    "label": _("Accounts"),
                    "data": [row["levels"][level] for level in IntegrationLevel.values],
                }
            ],
            x_title=_("Level"),
            y_title=_("Accounts"),
        )
        charts["visits"] = chart(
            chart_id="chart-visits",
            title=_("Visits in the last 7 days per person (aim: 2–3)"),
            kind="bar",
            horizontal=True,
            labels=[p["user"].get_full_name() or p["user"].username for p in row["people"]],
            datasets=[{"label": _("Visits"), "data": [p["visits"] for p in row["people"]]}],
            x_title=_("Person"),
            y_title=_("Visits"),
        )
    else:
        charts["stages"] = chart(
            chart_id="chart-stages",
            title=_("Accounts per pipeline stage"),
            kind="bar",
            stacked=True,
            labels=names,
            datasets=[
                {"label": label, "data": [row["numbers"]["stages"][stage] for row in rows]}
                for stage, label in Stage.choices
            ],
            x_title=_("Vertical"),
            y_title=_("Accounts"),
        )
        charts["levels"] = chart(
            chart_id="chart-levels",
            title=_("Path to deep integration: none → connected → integrated → deep"),
            kind="bar",
            stacked=True,
            labels=names,
            datasets=[
                {"label": _level_label(level), "data": [row["levels"][level] for row in rows]}
                for level in IntegrationLevel.values
            ],
            x_title=_("Vertical"),
            y_title=_("Accounts"),
        )
    return charts


def _side_by_side(review: dict) -> list[dict]:
    """The rows of the side-by-side table: one value per vertical, in the order shown."""
    numbers = [row["numbers"] for row in review["verticals"]]
    role_labels = dict(Role.choices)

    def line(label: str, values: list, kind: str = "number", css: str = "", key: str = "") -> dict:
        return {"label": label, "values": values, "kind": kind, "css": css, "key": key}

    rows = [
        line(
            _("Deep-integration customers"), [n["deep_customers"] for n in numbers], css="headline"
        ),
        line(_("DAG accounts"), [n["dag_accounts"] for n in numbers]),
        line(_("Accounts"), [n["accounts"] for n in numbers]),
    ]
    rows += [
        line(f"· {label}", [n["stages"][stage] for n in numbers], css="sub")
        for stage, label in Stage.choices
    ]
    rows += [
        line(_("Visits in the last 7 days"), [n["visits_last_7_days"] for n in numbers]),
        line(_("Open requirements"), [n["open_requirements"] for n in numbers]),
        line(
            _("Overdue requirements"), [n["overdue_requirements"] for n in numbers], kind="overdue"
        ),
        line(
            _("Median first response (hours, 90 days)"),
            [n["median_first_response_hours"] for n in numbers],
        ),
    ]
    ctas = [row["ctas"] for row in review["verticals"]]
    rows += [
        line(_("Open CTAs"), [c.open for c in ctas], key="open_ctas"),
        line(_("Overdue CTAs"), [c.overdue for c in ctas], kind="overdue", key="overdue_ctas"),
        line(
            _("Median days to close a CTA (90 days)"),
            [c.median_days_to_close for c in ctas],
            key="median_days_to_close",
        ),
    ]
    rows += [
        line(
            str(role_labels[role]), [n["staffing"][role] for n in numbers], kind="staff", css="sub"
        )
        for role in pipeline.STAFF_KEYS
    ]
    rows.append(line(_("Fully staffed"), [n["fully_staffed"] for n in numbers], kind="bool"))
    return rows


CRITERION_LABELS = {
    "connectors": gettext_lazy("connectors"),
    "records": gettext_lazy("records"),
    "dag_rate": gettext_lazy("DAG rate"),
    "analytics_days": gettext_lazy("analytics days"),
}


def labelled_next_level(status) -> dict | None:
    """The status's next level with each missing criterion labelled for people."""
    if status is None:
        return None
    found = status_next_level(status)
    if found is None:
        return None
    for missing in found["missing"]:
        missing["label"] = str(CRITERION_LABELS.get(missing["criterion"], missing["criterion"]))
    return found


def _sort_columns(current: str) -> list[dict]:
    """The account table's headers; sortable ones link to their order, flipping when active."""
    columns = [
        (_("Account"), "name"),
        (_("Stage"), "stage"),
        (_("Headcount"), "headcount"),
        (_("DAG"), None),
        (_("DAG rate"), "dag_rate"),
        (_("Path to deep integration"), "level"),
        (_("Connectors / records"), None),
        (_("Health"), "score"),
        (_("Owner CSM"), None),
    ]
    result = []
    for label, key in columns:
        active = key is not None and current.lstrip("-") == key
        result.append(
            {
                "label": label,
                "key": key,
                "active": active,
                "next": (key if current == f"-{key}" else f"-{key}") if active else key,
                "arrow": ("↓" if current.startswith("-") else "↑") if active else "",
            }
        )
    return result


def _context(request: HttpRequest, review: dict, errors: list[str], **extra) -> dict:
    return {
        "review": review,
        "day": review["day"],
        "max_day": business_today(),
        "day_errors": errors,
        "side_by_side": _side_by_side(review),
        "stages": Stage.choices,
        "visit_aim": pipeline.VISIT_AIM_PER_WEEK,
        "turned_red_days": pipeline.TURNED_RED_LOOKBACK_DAYS,
        **extra,
    }


def _accounts_csv(vertical: Vertical, day: dt.date, accounts) -> StreamingHttpResponse:
    """The filtered account list as CSV (every page of it), streamed in one query."""
    header = [
        "external_id",
        "name",
        "local_name",
        "stage",
        "headcount",
        "deep_integration_level",
        "is_dag",
        "dag_rate",
        "score",
        "color",
        "owner_csm",
    ]

    def rows():
        yield header
        for account in accounts.iterator(chunk_size=2000):
            yield [
                account.external_id,
                account.name,
                account.local_name,
                account.stage,
                account.headcount if account.headcount is not None else "",
                "" if account.day_level is None else account.day_level,
                "" if account.day_is_dag is None else int(account.day_is_dag),
                "" if account.day_dag_rate is None else round(account.day_dag_rate, 4),
                "" if account.day_score is None else account.day_score,
                account.day_color or "",
                account.owner_csm.username if account.owner_csm else "",
            ]

    class Echo:
        def write(self, value: str) -> str:
            return value

    def safe(value):
        # A text cell starting with = + - @ would run as a formula in a spreadsheet.
        if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
            return "'" + value
        return value

    writer = csv.writer(Echo())
    response = StreamingHttpResponse(
        ("\ufeff" if i == 0 else "") + writer.writerow([safe(v) for v in row])
        for i, row in enumerate(rows())
    )
    response["Content-Type"] = "text/csv; charset=utf-8"
    response["Content-Disposition"] = (
        f'attachment; filename="{vertical.code}-accounts-{day.isoformat()}.csv"'
    )
    return response


@login_required
def pipeline_overview(request: HttpRequest) -> HttpResponse:
    """/pipeline/: every vertical the user reviews, side by side, on the chosen day."""
    verticals = _pipeline_verticals(request)
    day, errors = chosen_day(request)
    review = pipeline.pipeline_review(
        verticals=verticals, day=day, red_limit=pipeline.TURNED_RED_OVERVIEW_LIMIT
    )
    charts = _charts(review, single=False)
    return render(
        request,
        "verticals/pipeline.html",
        _context(request, review, errors, charts=charts, reviewable=verticals),
    )


@login_required
def vertical_pipeline(request: HttpRequest, code: str) -> HttpResponse:
    """/pipeline/<code>/: one vertical's pipeline and its accounts, filtered, sorted, paged."""
    reviewable = _pipeline_verticals(request)
    vertical = get_object_or_404(pipeline.pipeline_verticals_for(request.user), code=code)
    day, errors = chosen_day(request)
    filters = AccountFilterForm(request.GET)
    if not filters.is_valid():
        # The valid filters still apply; each refused one is named with its reason.
        errors += [
            f"{filters.fields[name].label or name}: {message}"
            for name, messages in filters.errors.items()
            for message in messages
        ]
    chosen = filters.cleaned_data
    dag = {"yes": True, "no": False}.get(chosen.get("dag") or "")
    accounts = pipeline.vertical_accounts(
        accounts=accounts_visible_to(request.user).filter(vertical=vertical),
        day=day,
        search=chosen.get("q") or "",
        stage=chosen.get("stage") or "",
        level=chosen.get("level"),
        color=chosen.get("color") or "",
        size_tier=chosen.get("size") or "",
        dag=dag,
        ordering=chosen.get("sort") or "name",
    )
    if request.GET.get("format") == "csv":
        return _accounts_csv(vertical, day, accounts)
    review = pipeline.pipeline_review(verticals=[vertical], day=day)
    charts = _charts(review, single=True)
    page = Paginator(accounts, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    statuses = pipeline.statuses_for(accounts=page.object_list, day=day)
    account_rows = []
    for account in page.object_list:
        status = statuses.get(account.pk)
        account_rows.append(
            {
                "account": account,
                "status": status,
                "path": [
                    {
                        "level": level,
                        "name": LEVEL_NAMES[level],
                        "label": _level_label(level),
                        "reached": status is not None and status.deep_integration_level >= level,
                    }
                    for level in IntegrationLevel.values
                ],
                "next_level": labelled_next_level(status),
            }
        )
    keep = {
        name: request.GET[name]
        for name in ("q", "stage", "level", "color", "size", "dag", "sort")
        if request.GET.get(name)
    }
    return render(
        request,
        "verticals/vertical.html",
        _context(
            request,
            review,
            errors,
            charts=charts,
            vertical=vertical,
            row=review["verticals"][0],
            reviewable=reviewable,
            filters=filters,
            page=page,
            account_rows=account_rows,
            ctas=plays_selectors.vertical_open_ctas(vertical=vertical, today=business_today()),
            sort=chosen.get("sort") or "name",
            sort_columns=_sort_columns(chosen.get("sort") or "name"),
            keep=keep,
        ),
    )
