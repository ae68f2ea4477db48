from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.selectors import accounts_visible_to
from core.days import is_future, last_complete_day
from verticals.models import Vertical
from verticals.selectors import is_coo

from . import services, whatif
from .ingest import catalogue
from .models import App, Connector, MetricPolicy, PendingRecompute

# The preview lists at most this many changed accounts (the totals always count them all).
PREVIEW_CHANGED_SHOWN = 500


class PolicyPreviewForm(forms.Form):
    """The day and the definition settings of a what-if; fields and validators from the model."""

    day = forms.DateField(
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(MetricPolicy, fields=MetricPolicy.DEFINITION_FIELDS)
        )

    def clean_day(self):
        day = self.cleaned_data["day"]
        if is_future(day):
            raise forms.ValidationError(_("There is no data after today."))
        return day


def _carried_fields() -> list[str]:
    """Every field of the policy form other than the previewed definitions: carried, not previewed."""
    return [
        name
        for name in forms.fields_for_model(MetricPolicy)
        if name not in MetricPolicy.DEFINITION_FIELDS and name != "created_by"
    ]


def _preview_rows(side_now: dict, side_new: dict) -> list[dict]:
    """One row per vertical then the total: DAG and deep counts now, proposed, and the difference."""
    names = dict(Vertical.objects.values_list("code", "name"))
    rows = []
    pairs = [
        (names.get(code, code), side_now["by_vertical"][code], side_new["by_vertical"][code])
        for code in side_now["by_vertical"]
    ]
    pairs.append((_("All verticals"), side_now, side_new))
    for label, now, new in pairs:
        rows.append(
            {
                "label": label,
                "dag_now": now["dag_accounts"],
                "dag_new": new["dag_accounts"],
                "dag_delta": new["dag_accounts"] - now["dag_accounts"],
                "deep_now": now["deep_customers"],
                "deep_new": new["deep_customers"],
                "deep_delta": new["deep_customers"] - now["deep_customers"],
            }
        )
    return rows


class MergeCodeForm(forms.Form):
    target = forms.ModelChoiceField(queryset=App.objects.none(), label=_("Merge into"))

    def __init__(self, *args, model, exclude, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = model.objects.exclude(pk__in=exclude)


class CatalogAdmin(admin.ModelAdmin):
    """Codes a feed registered wait unconfirmed until the COO confirms them or merges them away."""

    actions = ["confirm", "merge_into"]

    @admin.action(description=_("Confirm the selected codes"), permissions=["change"])
    def confirm(self, request, queryset):
        changed = catalogue.confirm_codes(codes=queryset)
        self.message_user(request, _("%(n)d code(s) confirmed.") % {"n": changed})

    @admin.action(description=_("Merge into…"), permissions=["delete"])
    def merge_into(self, request, queryset):
        """Ask for the code to merge into, then move the selected codes' feed rows to it."""
        form = MergeCodeForm(
            request.POST if "target" in request.POST else None,
            model=self.model,
            exclude=list(queryset.values_list("pk", flat=True)),
        )
        if form.is_bound and form.is_valid():
            target = form.cleaned_data["target"]
            for source in queryset:
                moved = catalogue.merge_code(source=source, target=target)
                self.message_user(
                    request,
                    _("%(source)s merged into %(target)s: %(n)d feed row(s) moved.")
                    % {"source": source.code, "target": target.code, "n": moved},
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Merge codes into another code"),
            "form": form,
            "codes": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/metrics/merge_codes.html", context)


def _edited(name: str, posted: str, current: MetricPolicy) -> bool:
    """Whether the posted value differs from the current policy's (an unreadable one counts)."""
    field = forms.fields_for_model(MetricPolicy, fields=[name])[name]
    try:
        return field.clean(posted) != getattr(current, name)
    except forms.ValidationError:
        return True


@admin.register(App)
class AppAdmin(CatalogAdmin):
    list_display = ["code", "name", "category", "registered_by_feed", "confirmed"]
    list_filter = ["confirmed", "category", "registered_by_feed"]
    search_fields = ["code", "name"]


@admin.register(Connector)
class ConnectorAdmin(CatalogAdmin):
    list_display = ["code", "name", "system_kind", "vendor", "registered_by_feed", "confirmed"]
    list_filter = ["confirmed", "system_kind", "vendor", "registered_by_feed"]
    search_fields = ["code", "name", "vendor"]


@admin.register(MetricPolicy)
class MetricPolicyAdmin(admin.ModelAdmin):
    """Each save stores a new version; older versions stay as the policy's history."""

    list_display = [
        "id",
        "created_at",
        "created_by",
        "window_days",
        "dag_min_minutes",
        "dag_min_apps",
        "note",
    ]
    readonly_fields = ["created_at", "created_by"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # A new version, and a recompute of the current window sent when it commits.
        services.save_policy_version(policy=obj, user=request.user)

    # -- the what-if preview (metrics.whatif), for the COO; nothing is written --

    def get_urls(self):
        preview = path(
            "preview/",
            self.admin_site.admin_view(self.preview_view),
            name="metrics_metricpolicy_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request):
        """What the thresholds in the request would do on a day, now vs proposed.

        GET: its own form (prefilled with the current policy and yesterday).
        POST: the policy change/add form's "Preview" button (formaction), carrying the
        edited, unsaved thresholds; only the definition settings and `preview_day`
        are read. The add form link carries the previewed values to save them.
        """
        if not is_coo(request.user):
            raise PermissionDenied
        current = MetricPolicy.objects.current()
        initial = {name: getattr(current, name) for name in MetricPolicy.DEFINITION_FIELDS}
        initial["day"] = last_complete_day()
        if request.method == "POST":
            data = {name: request.POST.get(name, "") for name in MetricPolicy.DEFINITION_FIELDS}
            data["day"] = request.POST.get("preview_day") or initial["day"].isoformat()
            form = PolicyPreviewForm(data)
        elif "day" in request.GET:
            form = PolicyPreviewForm(request.GET)
        else:
            form = PolicyPreviewForm(initial=initial)
        # The fields the preview does not recompute (health, plan, reason) travel with it to
        # the save, so that none of the COO's edits is lost; the page names the edited ones.
        source = request.POST if request.method == "POST" else request.GET
        carried = {name: source[name] for name in _carried_fields() if name in source}
        not_previewed = [
            MetricPolicy._meta.get_field(name).verbose_name
            for name, value in carried.items()
            if _edited(name, value, current)
        ]
        answer = rows = changed = None
        if form.is_bound and form.is_valid():
            proposed = {name: form.cleaned_data[name] for name in MetricPolicy.DEFINITION_FIELDS}
            try:
                answer = whatif.what_if(
                    day=form.cleaned_data["day"],
                    proposed=proposed,
                    accounts_qs=accounts_visible_to(request.user),
                    current=current,
                )
            except whatif.PolicyProposalError as error:
                for name, reason in error.errors.items():
                    form.add_error(name if name in form.fields else None, reason)
            else:
                rows = _preview_rows(answer["current"], answer["proposed"])
                changed = self._changed_accounts(answer["changed"][:PREVIEW_CHANGED_SHOWN])
        save_query = ""
        if answer is not None:
            save_query = urlencode(
                {
                    **carried,
                    **{name: form.cleaned_data[name] for name in MetricPolicy.DEFINITION_FIELDS},
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Preview a metric policy change"),
            "form": form,
            "current": current,
            "answer": answer,
            "rows": rows,
            "changed": changed,
            "changed_total": len(answer["changed"]) if answer else 0,
            "changed_shown": PREVIEW_CHANGED_SHOWN,
            "save_query": save_query,
            "carried": carried,
            "not_previewed": not_previewed,
        }
        return TemplateResponse(request, "admin/metrics/metricpolicy/preview.html", context)

    @staticmethod
    def _changed_accounts(entries: list[dict]) -> list[dict]:
        """The changed entries with their accounts (one query), and what each gains or loses."""
        accounts = Account.objects.select_related("vertical").in_bulk(
            [entry["external_id"] for entry in entries], field_name="external_id"
        )
        rows = []
        for entry in entries:
            before, after = entry["before"], entry["after"]
            rows.append(
                {
                    **entry,
                    "account": accounts.get(entry["external_id"]),
                    "dag_change": (
                        "gains"
                        if after["is_dag"] and not before["is_dag"]
                        else "loses"
                        if before["is_dag"] and not after["is_dag"]
                        else ""
                    ),
                    "level_change": after["level"] - before["level"],
                }
            )
        return rows

    def render_change_form(self, request, context, *args, **kwargs):
        # The "Preview" button's day picker (templates/admin/metrics/metricpolicy/change_form.html).
        context["preview_day"] = last_complete_day()
        context["can_preview"] = is_coo(request.user)
        return super().render_change_form(request, context, *args, **kwargs)


class FailedFilter(admin.SimpleListFilter):
    title = _("last run")
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [("yes", _("failed")), ("no", _("not failed"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(last_error="")
        if self.value() == "no":
            return queryset.filter(last_error="")
        return queryset


@admin.register(PendingRecompute)
class PendingRecomputeAdmin(admin.ModelAdmin):
    """Recomputes owed to the daily status; a row disappears when its task has run."""

    list_display = [
        "id",
        "reason",
        "start",
        "end",
        "created_at",
        "claimed_until",
        "attempts",
        "failed_at",
        "next_attempt_at",
        "error",
    ]
    list_filter = [FailedFilter, "reason"]

    @admin.display(description=_("last error"), ordering="last_error")
    def error(self, obj):
        # The whole text is on the row's page; the list shows its start.
        return obj.last_error if len(obj.last_error) <= 300 else obj.last_error[:300] + "…"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
