"""Plays (the COO edits them, with history) and "My CTAs" (the owner's work list) in the admin.

CTAs are scoped to the user's verticals (VerticalScopedAdmin); closing one
goes through plays.services, a dismissal through a form that asks for the note.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.days import business_today
from verticals.admin_scoping import VerticalScopedAdmin

from . import reasons, services
from .models import CTA, CTAStatus, Play

OVERDUE_BADGE = '<span class="frontline-overdue" style="color:#fff;background:#ba2121;padding:1px 6px;border-radius:3px;font-weight:bold">{}</span>'


@admin.register(Play)
class PlayAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "trigger",
        "owner_role",
        "due_days",
        "snooze_days",
        "clear_days",
        "active",
    ]
    list_editable = ["active"]
    readonly_fields = ["trigger"]
    fields = [
        "trigger",
        "name",
        "parameters",
        "owner_role",
        "due_days",
        "steps",
        "snooze_days",
        "clear_days",
        "active",
    ]

    def has_add_permission(self, request):
        return False  # one play per trigger, created by the migrations

    def has_delete_permission(self, request, obj=None):
        return False  # switch a play off instead; its CTAs keep pointing at it


class DefaultedFilter(admin.SimpleListFilter):
    """A filter with a chosen default: that choice is selected when the URL names none."""

    default = ""

    def choices(self, changelist):
        current = self.value() or self.default
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class WhoseFilter(DefaultedFilter):
    """My CTAs by default; everyone's (in the user's verticals) on request."""

    title = _("whose")
    parameter_name = "whose"
    default = "mine"

    def lookups(self, request, model_admin):
        return [("mine", _("My CTAs")), ("all", _("Everyone's"))]

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(owner=request.user)


class OpenFilter(DefaultedFilter):
    """Open CTAs by default (overdue ones on request); closed ones on request."""

    title = _("state")
    parameter_name = "state"
    default = "open"

    def lookups(self, request, model_admin):
        return [
            ("open", _("Open")),
            ("overdue", _("Overdue")),
            ("closed", _("Closed")),
            ("any", _("Any")),
        ]

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(status=CTAStatus.OPEN)
        if value == "overdue":
            return queryset.filter(status=CTAStatus.OPEN, due_on__lt=business_today())
        if value == "closed":
            return queryset.exclude(status=CTAStatus.OPEN)
        return queryset


class CTAForm(forms.ModelForm):
    """The steps as ticks; the note. Everything else is the play's."""

    done_steps = forms.TypedMultipleChoiceField(
        label=_("steps done"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CTA
        fields = ["owner", "due_on", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        steps = self.instance.steps or []
        self.fields["done_steps"].choices = [(i, s["text"]) for i, s in enumerate(steps)]
        self.initial["done_steps"] = [i for i, s in enumerate(steps) if s["done"]]

    def clean(self):
        cleaned = super().clean()
        done = set(cleaned.get("done_steps") or [])
        try:
            self.instance.steps = services.validate_steps(
                [
                    {"text": s["text"], "done": i in done}
                    for i, s in enumerate(self.instance.steps or [])
                ]
            )
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return cleaned


class DismissForm(forms.Form):
    note = forms.CharField(
        label=_("note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why this needs no work; a dismissal needs a note."),
    )


@admin.register(CTA)
class CTAAdmin(VerticalScopedAdmin, admin.ModelAdmin):
    form = CTAForm
    list_display = [
        "play",
        "account",
        "reason",
        "owner",
        "opened_on",
        "due_on",
        "overdue",
        "steps_done",
        "status",
    ]
    list_filter = [
        WhoseFilter,
        OpenFilter,
        "play",
        ("account__vertical", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["play", "account", "owner"]
    search_fields = ["account__name", "account__local_name", "account__external_id"]
    readonly_fields = [
        "account",
        "play",
        "status",
        "reason",
        "opened_on",
        "closed_at",
        "resolution",
    ]
    fieldsets = [
        (None, {"fields": ["account", "play", "status", "reason", "opened_on"]}),
        (None, {"fields": ["owner", "due_on", "done_steps", "note"]}),
        (_("Closed"), {"fields": ["closed_at", "resolution"]}),
    ]
    actions = ["mark_done", "dismiss"]

    def has_add_permission(self, request):
        return False  # plays open CTAs

    def has_delete_permission(self, request, obj=None):
        return False  # close it (done or dismissed) instead

    @admin.display(description=_("reason"))
    def reason(self, obj):
        return reasons.render(obj.play.trigger, obj.reason_numbers)

    @admin.display(description=_("resolution"))
    def resolution(self, obj):
        if obj.status != CTAStatus.RESOLVED:
            return "—"
        return reasons.render_resolution(
            closed_on=obj.closed_on, last_held_on=obj.last_held_on, clear_days=obj.clear_streak
        )

    @admin.display(description=_("overdue"), ordering="due_on")
    def overdue(self, obj):
        if obj.is_overdue(business_today()):
            return format_html(OVERDUE_BADGE, _("Overdue"))
        return ""

    @admin.display(description=_("steps done"))
    def steps_done(self, obj):
        steps = obj.steps or []
        return f"{sum(1 for s in steps if s['done'])}/{len(steps)}"

    def _close(self, request, queryset, status: str, note: str = "") -> int:
        closed = 0
        for cta in queryset.filter(status=CTAStatus.OPEN):
            services.close_cta(cta=cta, status=status, user=request.user, note=note)
            closed += 1
        return closed

    @admin.action(description=_("Mark as done"), permissions=["change"])
    def mark_done(self, request, queryset):
        done = self._close(request, queryset, CTAStatus.DONE)
        self.message_user(
            request,
            ngettext("%(n)d CTA done.", "%(n)d CTAs done.", done) % {"n": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Dismiss (with a note)"), permissions=["change"])
    def dismiss(self, request, queryset):
        form = DismissForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = self._close(request, queryset, CTAStatus.DISMISSED, form.cleaned_data["note"])
            self.message_user(
                request,
                ngettext("%(n)d CTA dismissed.", "%(n)d CTAs dismissed.", done) % {"n": done},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Dismiss CTAs"),
            "opts": self.model._meta,
            "form": form,
            "ctas": queryset,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/plays/cta/dismiss.html", context)
