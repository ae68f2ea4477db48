"""The CSM's day in the admin: log a visit on one screen, follow requirements and action items.

Everything is scoped to the user's verticals (VerticalScopedAdmin); "mine",
"overdue" and "due this week" come from visits.selectors; admin actions call
visits.services.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import IntegerField, OuterRef, Q, Subquery, Value
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from accounts import admin as accounts_admin
from accounts.models import Account
from core.days import business_today
from verticals.admin_scoping import RoleImportExportMixin, VerticalScopedAdmin, person_name

from . import outbox, selectors, services
from .models import OPEN_REQUIREMENT_STATUSES, ActionItem, Requirement, Visit
from .resources import RequirementResource, VisitResource
from .selectors import NOT_VISITED_DAYS, my_accounts_q, not_visited_since_q

OVERDUE_BADGE = '<span class="frontline-overdue">{}</span>'  # styled in frontline/admin.css


def _overdue_badge(text):
    return format_html(OVERDUE_BADGE, text)


# --- list filters --------------------------------------------------------------------------


class MineFilter(admin.SimpleListFilter):
    """What is mine, as visits.selectors defines it for the model at hand."""

    title = _("whose")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", _("Mine"))]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        user = request.user
        model = queryset.model
        if model is Requirement:
            return queryset.filter(selectors.my_requirements_q(user))
        if model is ActionItem:
            return queryset.filter(selectors.my_action_items_q(user))
        attended = Visit.staff_attendees.through.objects.filter(user=user).values("visit_id")
        return queryset.filter(Q(author=user) | Q(id__in=attended))


class RequirementStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("open", _("Open")),
            ("overdue", _("Overdue: no first response within the SLA")),
            ("closed", _("Resolved or declined")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "overdue":
            return queryset.overdue(sla_hours=selectors.requirement_sla_hours())
        if self.value() == "closed":
            return queryset.exclude(status__in=[s.value for s in OPEN_REQUIREMENT_STATUSES])
        return queryset


class ActionItemDueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("week", _("Open, due this week")),
            ("later", _("Open, due later")),
            ("open", _("Open")),
            ("done", _("Done")),
        ]

    def queryset(self, request, queryset):
        today = business_today()
        if self.value() in ("overdue", "week", "later"):
            return queryset.open().filter(selectors.action_item_bucket_q(self.value(), today=today))
        if self.value() == "open":
            return queryset.open()
        if self.value() == "done":
            return queryset.filter(done_at__isnull=False)
        return queryset


# --- the one-screen visit form -----------------------------------------------------------


class VisitAdminForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = [
            "account",
            "visited_on",
            "visit_type",
            "author",
            "sentiment",
            "purpose",
            "summary",
            "staff_attendees",
            "contact_attendees",
        ]

    def clean(self):
        cleaned = super().clean()
        account = cleaned.get("account")
        contacts = cleaned.get("contact_attendees")
        if account is not None and contacts:
            strangers = [c for c in contacts if c.account_id != account.pk]
            if strangers:
                self.add_error(
                    "contact_attendees",
                    _("%(names)s are not contacts of %(account)s.")
                    % {"names": ", ".join(c.name for c in strangers), "account": account},
                )
        return cleaned


class RequirementInline(VerticalScopedAdmin, admin.StackedInline):
    """What the customer asked for, as the CSM writes it down right after the meeting.

    The timestamps (raised, first response, resolved) default or are filled later on
    the requirement's own page; asking for six date/time inputs here only crowds a phone.
    """

    model = Requirement
    extra = 1
    fields = [
        ("title", "category", "priority", "status"),
        "description",
        "owner",
    ]
    autocomplete_fields = ["owner"]


class ActionItemInline(VerticalScopedAdmin, admin.StackedInline):
    """A follow-up: stacked, so its owner and due date stay on a phone's screen."""

    model = ActionItem
    extra = 1
    fields = ["title", ("owner", "due_on"), "done_at"]
    autocomplete_fields = ["owner"]

    def get_fields(self, request, obj=None):
        # Nothing is done yet while the visit is being logged.
        if obj is None:
            return ["title", ("owner", "due_on")]
        return super().get_fields(request, obj)


@admin.register(Visit)
class VisitAdmin(VerticalScopedAdmin, RoleImportExportMixin, SimpleHistoryAdmin):
    form = VisitAdminForm
    resource_classes = [VisitResource]
    list_display = [
        "visited_on",
        "account",
        "visit_type",
        "author_name",
        "sentiment",
        "purpose",
    ]
    list_filter = [
        MineFilter,
        "visit_type",
        "sentiment",
        ("account__vertical", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["account__name", "account__local_name", "purpose", "summary"]
    autocomplete_fields = ["account", "author", "staff_attendees", "contact_attendees"]
    list_select_related = ["account", "author"]
    date_hierarchy = "visited_on"
    inlines = [RequirementInline, ActionItemInline]
    fields = [
        ("account", "visited_on", "visit_type"),
        ("author", "sentiment"),
        "purpose",
        "summary",
        "staff_attendees",
        "contact_attendees",
    ]

    class Media:
        js = ["admin/js/jquery.init.js", "visits/js/attendees.js"]

    # The list names people as the rest of the site does (full name), sorted by that name.
    @admin.display(description=_("logged by"), ordering="author__first_name")
    def author_name(self, obj):
        return person_name(obj.author)

    def get_changeform_initial_data(self, request):
        # ?account=ID comes from the account page's "log a visit" button.
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("author", request.user.pk)
        initial.setdefault("visited_on", business_today())
        return initial

    def response_add(self, request, obj, post_url_continue=None):
        # Logged from a page ("log a visit"): go back to it — `next` when it is a URL of this
        # site, else the account's admin page when the form was opened for that account.
        response = super().response_add(request, obj, post_url_continue)
        if "_save" not in request.POST or response.status_code != 302:
            return response
        next_url = request.GET.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            response["Location"] = next_url
        elif request.GET.get("account") == str(obj.account_id):
            response["Location"] = reverse("admin:accounts_account_change", args=[obj.account_id])
        return response

    def save_formset(self, request, form, formset, change):
        # Children logged on the visit's screen belong to the visit's account.
        for obj in formset.save(commit=False):
            obj.account_id = form.instance.account_id
            obj._history_user = request.user
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()
        if formset.model is Requirement:
            outbox.requirements_raised(formset.new_objects)

    def save_related(self, request, form, formsets, change):
        # The visit.logged event carries the attendees, so it is written once they are saved;
        # the admin's add view runs in one transaction, the outbox row with it.
        super().save_related(request, form, formsets, change)
        if not change:
            outbox.visit_logged(form.instance)

    # -- visit cadence, for leads and the COO --

    def get_urls(self):
        urls = super().get_urls()
        cadence = path(
            "cadence/",
            self.admin_site.admin_view(self.cadence_view),
            name="visits_visit_cadence",
        )
        return [cadence, *urls]

    def cadence_view(self, request):
        if not selectors.can_see_cadence(request.user):
            raise PermissionDenied
        try:
            weeks = min(max(int(request.GET.get("weeks", 8)), 1), 52)
        except ValueError:
            weeks = 8
        cadence = selectors.visit_cadence(request.user, weeks=weeks)
        this_week = cadence.weeks[-1]
        rows = [
            {
                "person": row.person,
                "weeks": [
                    (
                        row.visits.get(monday, 0),
                        row.large_visits.get(monday, 0),
                        # A finished week under the aim stands out; this week is still open.
                        monday != this_week
                        and row.visits.get(monday, 0) < selectors.VISITS_AIM_PER_WEEK,
                    )
                    for monday in cadence.weeks
                ],
                "total": row.total,
                "large_total": row.large_total,
            }
            for row in cadence.rows
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Visit cadence per person per week"),
            "opts": self.model._meta,
            "weeks": cadence.weeks,
            "rows": rows,
            "week_count": weeks,
            "large_headcount": selectors.LARGE_CUSTOMER_HEADCOUNT,
            "aim": selectors.VISITS_AIM_PER_WEEK,
        }
        return TemplateResponse(request, "admin/visits/visit/cadence.html", context)


@admin.register(Requirement)
class RequirementAdmin(VerticalScopedAdmin, RoleImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [RequirementResource]
    # The SLA columns come right after the title, so that they show at 1440 px.
    list_display = [
        "title",
        "overdue",
        "response_time",
        "account",
        "status",
        "priority",
        "owner_name",
        "raised_at",
        "first_response_at",
        "category",
    ]
    readonly_fields = ["sla"]
    list_filter = [
        MineFilter,
        RequirementStateFilter,
        "status",
        "category",
        "priority",
        ("account__vertical", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "description", "account__name", "account__local_name"]
    autocomplete_fields = ["account", "visit", "owner"]
    list_select_related = ["account", "owner"]
    date_hierarchy = "raised_at"
    actions = ["record_first_response", "resolve"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            outbox.requirements_raised([obj])

    @admin.display(description=_("owner"), ordering="owner__first_name")
    def owner_name(self, obj):
        return person_name(obj.owner) if obj.owner_id else "-"

    def get_queryset(self, request):
        # Each row carries the SLA it is measured against (`sla_hours`), for the SLA columns.
        sla_hours = selectors.requirement_sla_hours()
        return selectors.with_response_overdue(
            super().get_queryset(request), sla_hours=sla_hours
        ).annotate(sla_hours=Value(sla_hours, output_field=IntegerField()))

    @admin.display(description=_("response (SLA)"))
    def response_time(self, obj):
        return obj.sla_text(sla_hours=obj.sla_hours)

    @admin.display(description=_("SLA"))
    def sla(self, obj):
        hours = getattr(obj, "sla_hours", None) or selectors.requirement_sla_hours()
        if obj is None or obj.pk is None:
            return _("The first response is due %(hours)d h after the requirement is raised.") % {
                "hours": hours
            }
        return obj.sla_text(sla_hours=hours)

    @admin.display(description=_("overdue"), ordering="response_overdue")
    def overdue(self, obj):
        if getattr(obj, "response_overdue", False):
            return _overdue_badge(_("Overdue"))
        if obj.answered_late(sla_hours=obj.sla_hours):
            return _overdue_badge(_("Answered late"))
        return ""

    @admin.action(description=_("Record the first response now"), permissions=["change"])
    def record_first_response(self, request, queryset):
        done = sum(services.record_first_response(requirement=r) for r in queryset)
        self.message_user(
            request,
            ngettext("%(n)d requirement answered.", "%(n)d requirements answered.", done)
            % {"n": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark as resolved"), permissions=["change"])
    def resolve(self, request, queryset):
        done = sum(services.resolve_requirement(requirement=r) for r in queryset)
        self.message_user(
            request,
            ngettext("%(n)d requirement resolved.", "%(n)d requirements resolved.", done)
            % {"n": done},
            messages.SUCCESS,
        )


@admin.register(ActionItem)
class ActionItemAdmin(VerticalScopedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "account", "owner_name", "due_on", "done_at", "overdue"]
    list_filter = [
        MineFilter,
        ActionItemDueFilter,
        ("account__vertical", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "account__name", "account__local_name"]
    autocomplete_fields = ["account", "visit", "owner"]
    list_select_related = ["account", "owner"]
    date_hierarchy = "due_on"
    actions = ["mark_done"]

    @admin.display(description=_("owner"), ordering="owner__first_name")
    def owner_name(self, obj):
        return person_name(obj.owner) if obj.owner_id else "-"

    def get_queryset(self, request):
        return selectors.with_action_overdue(super().get_queryset(request))

    @admin.display(description=_("overdue"), ordering="action_overdue")
    def overdue(self, obj):
        if getattr(obj, "action_overdue", False):
            return _overdue_badge(_("Overdue"))
        return ""

    @admin.action(description=_("Mark as done"), permissions=["change"])
    def mark_done(self, request, queryset):
        done = sum(services.complete_action_item(action_item=item) for item in queryset)
        self.message_user(
            request,
            ngettext("%(n)d action item done.", "%(n)d action items done.", done) % {"n": done},
            messages.SUCCESS,
        )


# --- the Account admin, with what visits knows of accounts --------------------------------
# accounts sits below visits, so the Account admin's last visit, "mine", "not visited" and
# "log a visit" are added here, by re-registering accounts' AccountAdmin with them.


class MyAccountsFilter(admin.SimpleListFilter):
    """Accounts I own as CSM or serve on the account team ("mine")."""

    title = _("whose")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", _("My accounts"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(my_accounts_q(request.user))
        return queryset


class NotVisitedFilter(admin.SimpleListFilter):
    title = _("last visit")
    parameter_name = "not_visited"

    def lookups(self, request, model_admin):
        return [
            (str(NOT_VISITED_DAYS), _("Not visited in %(n)d days") % {"n": NOT_VISITED_DAYS}),
            ("30", _("Not visited in %(n)d days") % {"n": 30}),
        ]

    def queryset(self, request, queryset):
        if self.value() in ("30", str(NOT_VISITED_DAYS)):
            cutoff = business_today() - dt.timedelta(days=int(self.value()))
            return queryset.filter(not_visited_since_q(cutoff))
        return queryset


class AccountAdmin(accounts_admin.AccountAdmin):
    # The last visit goes just before the renewal date.
    list_display = [
        *(name for name in accounts_admin.AccountAdmin.list_display if name != "renewal_date"),
        "last_visit",
        "renewal_date",
    ]
    list_filter = [MyAccountsFilter, NotVisitedFilter, *accounts_admin.AccountAdmin.list_filter]

    def get_queryset(self, request):
        last = Visit.objects.filter(account=OuterRef("pk")).order_by("-visited_on")
        return (
            super()
            .get_queryset(request)
            .annotate(last_visited_on=Subquery(last.values("visited_on")[:1]))
        )

    @admin.display(description=_("last visit"), ordering="last_visited_on")
    def last_visit(self, obj):
        if obj.last_visited_on is None:
            return format_html('<span class="frontline-stale">{}</span>', _("never"))
        stale = (business_today() - obj.last_visited_on).days > NOT_VISITED_DAYS
        return format_html(
            '<span class="{}">{}</span>',
            "frontline-stale" if stale else "",
            obj.last_visited_on.isoformat(),
        )

    def get_list_display(self, request):
        display = list(super().get_list_display(request))
        if request.user.has_perm("visits.add_visit"):
            display.append("log_visit_link")
        return display

    @admin.display(description=_("visit"))
    def log_visit_link(self, obj):
        url = reverse("admin:visits_visit_add")
        return format_html(
            '<a class="addlink" href="{}?account={}">{}</a>', url, obj.pk, _("Log a visit")
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_log_visit": request.user.has_perm("visits.add_visit"),
        }
        return super().change_view(request, object_id, form_url, extra_context)


admin.site.unregister(Account)
admin.site.register(Account, AccountAdmin)
