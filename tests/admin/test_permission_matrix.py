"""The permission matrix: each role × each model × view/add/change/delete × own/other vertical.

Everything goes through the admin with Django's test client, as a person would.
The expected grants are written out here from the issue's rules (CSMs and leads
edit; BD, SA and Tech read accounts and add visits with their requirements and
action items; the COO sees everything and edits the metric policy; only
superusers manage people), not read from verticals.roles, so a wrong role
table fails here.

Outcomes: "ok" (the page opens / the write happens), "deny" (403), "hidden"
(another vertical's object: 404, as if it did not exist), "invalid" (adding
with another vertical's account: the form refuses the choice, nothing saved).
"""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Account, AccountTeamMember, Contact, IntegrationProject
from core.days import business_today
from metrics.models import App, Connector, MetricPolicy, PendingRecompute
from tests import factories
from verticals.models import APIToken, Membership, Vertical
from visits.models import ActionItem, Requirement, Visit

from .conftest import vertical_data

pytestmark = pytest.mark.django_db

VADC = frozenset({"view", "add", "change", "delete"})
VA = frozenset({"view", "add"})
V = frozenset({"view"})
ACCOUNT_MODELS = ("account", "contact", "accountteammember", "integrationproject")
VISIT_MODELS = ("visit", "requirement", "actionitem")
CATALOGS = ("vertical", "app", "connector")

VAC = frozenset({"view", "add", "change"})
EDITOR = {
    **dict.fromkeys(ACCOUNT_MODELS, VADC),
    # CSMs and leads close an account (stage churned); they never delete one.
    "account": VAC,
    **dict.fromkeys(VISIT_MODELS, VADC),
    **dict.fromkeys(CATALOGS, V),
    "metricpolicy": V,
}
CONTRIBUTOR = {
    **dict.fromkeys(ACCOUNT_MODELS, V),
    **dict.fromkeys(VISIT_MODELS, VA),
    **dict.fromkeys(CATALOGS, V),
}
GRANTS: dict[str, dict[str, frozenset]] = {
    "csm": EDITOR,
    "lead": {**EDITOR, "membership": V},
    "bd": CONTRIBUTOR,
    "sa": CONTRIBUTOR,
    "tech": CONTRIBUTOR,
    "coo": {
        **dict.fromkeys(ACCOUNT_MODELS, VADC),
        **dict.fromkeys(VISIT_MODELS, VADC),
        **dict.fromkeys(CATALOGS, VADC),
        "membership": V,
        "metricpolicy": frozenset({"view", "add", "change"}),
    },
    "superuser": {
        **dict.fromkeys(ACCOUNT_MODELS, VADC),
        **dict.fromkeys(VISIT_MODELS, VADC),
        **dict.fromkeys(CATALOGS, VADC),
        "membership": VADC,
        "user": VADC,
        # Policy versions are append-only: nobody deletes one.
        "metricpolicy": frozenset({"view", "add", "change"}),
        # API tokens come from create_api_token; here they are reviewed and revoked.
        "apitoken": frozenset({"view", "change", "delete"}),
        # The recompute queue is the tasks' bookkeeping: looked at, never edited.
        "pendingrecompute": frozenset({"view", "delete"}),
    },
}
ROLES = list(GRANTS)
# The world's accounts have visits and requirements: whoever may delete accounts is refused
# ("refused": the admin's "protected" page, nothing deleted) and told to churn them instead.
HAS_HISTORY = {"account"}
SEES_ALL = {"coo", "superuser"}

MODELS = {
    "account": Account,
    "contact": Contact,
    "accountteammember": AccountTeamMember,
    "integrationproject": IntegrationProject,
    "visit": Visit,
    "requirement": Requirement,
    "actionitem": ActionItem,
    "vertical": Vertical,
    "membership": Membership,
    "user": get_user_model(),
    "metricpolicy": MetricPolicy,
    "app": App,
    "connector": Connector,
    "apitoken": APIToken,
    "pendingrecompute": PendingRecompute,
}
# Models whose objects belong to a vertical (the other vertical's are invisible).
VERTICAL_MODELS = {*ACCOUNT_MODELS, *VISIT_MODELS, "vertical", "membership", "user"}


def expected(role: str, model: str, action: str, scope: str) -> str:
    grants = GRANTS[role].get(model, frozenset())
    allowed = action in grants or (action == "view" and "change" in grants)
    hidden_by_scope = (
        scope == "other" and model in VERTICAL_MODELS and role not in SEES_ALL and model != "user"
    )
    if hidden_by_scope:
        if action == "add":
            return "invalid" if allowed else "deny"
        return "hidden"
    if allowed and action == "delete" and model in HAS_HISTORY:
        return "refused"
    return "ok" if allowed else "deny"


# --- data --------------------------------------------------------------------------------


class World:
    def __init__(self):
        owner_m = factories.person("csm", "manufacturing", username="owner_m")
        owner_r = factories.person("csm", "consumer_retail", username="owner_r")
        self.verticals = {
            "own": factories.vertical("manufacturing"),
            "other": factories.vertical("consumer_retail"),
        }
        self.data = {
            "own": vertical_data("manufacturing", owner_m),
            "other": vertical_data("consumer_retail", owner_r),
        }
        self.owners = {"own": owner_m, "other": owner_r}
        self.people = {
            "own": factories.person("tech", "manufacturing", username="tech_person_m"),
            "other": factories.person("tech", "consumer_retail", username="tech_person_r"),
        }
        self.token = APIToken.objects.create(user=owner_m, prefix="abcd1234", key_hash="0" * 64)
        today = business_today()
        self.pending = PendingRecompute.objects.create(start=today, end=today, reason="manual")

    def obj(self, model: str, scope: str):
        data = self.data[scope]
        return {
            "account": data.account,
            "contact": data.contact,
            "accountteammember": data.team_member,
            "integrationproject": data.project,
            "visit": data.visit,
            "requirement": data.requirement,
            "actionitem": data.action_item,
            "vertical": self.verticals[scope],
            "membership": Membership.objects.get(user=self.owners[scope]),
            "user": self.people[scope],
            "metricpolicy": MetricPolicy.objects.latest(),
            "app": App.objects.order_by("pk").first(),
            "connector": Connector.objects.order_by("pk").first(),
            "apitoken": self.token,
            "pendingrecompute": self.pending,
        }[model]

    def new_values(self, model: str, scope: str, actor) -> dict:
        """The fields a valid add form needs on top of the defaults."""
        data = self.data[scope]
        account = str(data.account.pk)
        vertical = str(self.verticals[scope].pk)
        return {
            "account": {
                "external_id": f"new-{scope}",
                "name": "New enterprise",
                "vertical": vertical,
                "stage": "prospect",
            },
            "contact": {"account": account, "name": "New contact", "role": "user"},
            "accountteammember": {
                "account": account,
                "user": str(self.owners[scope].pk),
                "role": "sa",
            },
            "integrationproject": {"account": account, "name": "New project", "status": "planned"},
            "visit": {"account": account, "author": str(actor.pk), "purpose": "New visit"},
            "requirement": {"account": account, "title": "New requirement"},
            "actionitem": {"account": account, "title": "New action", "due_on": "2030-01-31"},
            "vertical": {"code": f"new_vertical_{scope}", "name": "New vertical", "position": "9"},
            "membership": {
                "user": str(self.people[scope].pk),
                "vertical": vertical,
                "role": "sa",
            },
            "user": {
                "username": f"new_person_{scope}",
                "password1": "pw-Frontline-new-12345",
                "password2": "pw-Frontline-new-12345",
                "usable_password": "true",
            },
            "metricpolicy": {"note": "new version"},
            "app": {"code": "new_app", "name": "New app", "category": "other"},
            "connector": {"code": "new_connector", "name": "New", "system_kind": "other"},
            "apitoken": {"user": str(self.owners[scope].pk), "name": "New token"},
            "pendingrecompute": {"reason": "manual"},
        }[model]


CHANGED_FIELD = {
    "account": ("name", "Renamed enterprise"),
    "contact": ("name", "Renamed contact"),
    "accountteammember": ("role", "bd"),
    "integrationproject": ("name", "Renamed project"),
    "visit": ("purpose", "Changed purpose"),
    "requirement": ("title", "Changed title"),
    "actionitem": ("title", "Changed action"),
    "vertical": ("description", "Changed description"),
    "membership": ("role", "bd"),
    "user": ("first_name", "Renamed"),
    "metricpolicy": ("note", "changed version"),
    "app": ("name", "Renamed app"),
    "connector": ("name", "Renamed connector"),
    "apitoken": ("name", "Renamed token"),
    "pendingrecompute": ("reason", "nightly"),
}


def form_data(model: str, root, obj=None) -> dict:
    """POST data reproducing the superuser's admin add/change form (inlines left untouched)."""
    cls = MODELS[model]
    model_admin = admin.site._registry[cls]
    request = RequestFactory().get("/admin/")
    request.user = root
    form_class = model_admin.get_form(request, obj, change=obj is not None)
    if obj is None:
        form = form_class(initial=model_admin.get_changeform_initial_data(request))
    else:
        form = form_class(instance=obj)
    data: dict = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        bound = form[name]
        value = bound.value()
        widget = getattr(field.widget, "widget", field.widget)
        if isinstance(widget, forms.MultiWidget):
            for i, (sub, part) in enumerate(
                zip(widget.widgets, widget.decompress(value), strict=False)
            ):
                data[f"{bound.html_name}_{i}"] = "" if part is None else sub.format_value(part)
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(field, forms.ModelMultipleChoiceField):
            data[bound.html_name] = [str(v) for v in value or []]
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        elif value is None:
            data[bound.html_name] = ""
        else:
            data[bound.html_name] = str(value)
    for formset_class, _inline in model_admin.get_formsets_with_inlines(request, obj):
        prefix = formset_class.get_default_prefix()
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def admin_url(model: str, view: str, *args) -> str:
    cls = MODELS[model]
    return reverse(f"admin:{cls._meta.app_label}_{cls._meta.model_name}_{view}", args=args)


def outcome_of_get(status: int) -> str:
    return {200: "ok", 403: "deny", 404: "hidden"}.get(status, f"status {status}")


def actor_for(role: str):
    if role == "superuser":
        return factories.UserFactory(username="acting_root", is_staff=True, is_superuser=True)
    return factories.person(
        role, None if role == "coo" else "manufacturing", username=f"acting_{role}"
    )


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, role, model):
    world = World()
    root = factories.UserFactory(username="matrix_root", is_staff=True, is_superuser=True)
    actor = actor_for(role)
    cls = MODELS[model]
    scopes = ("own", "other") if model in VERTICAL_MODELS else ("own",)
    problems = []

    def check(action, scope, got):
        want = expected(role, model, action, scope)
        if got != want:
            problems.append(f"{role} {model} {action} {scope}: expected {want}, got {got}")

    for scope in scopes:
        obj = world.obj(model, scope)

        # view: the change page, and the changelist lists only what may be seen
        client.force_login(actor)
        got = outcome_of_get(client.get(admin_url(model, "change", obj.pk)).status_code)
        check("view", scope, got)
        listing = client.get(admin_url(model, "changelist"))
        if listing.status_code == 200:
            listed = obj.pk in {o.pk for o in listing.context["cl"].result_list}
            check("view", scope, "ok" if listed else "hidden")
        else:
            check(
                "view", scope, "hidden" if got == "hidden" else outcome_of_get(listing.status_code)
            )

        # add: with this scope's vertical/account
        data = form_data(model, root)
        data.update(world.new_values(model, scope, actor))
        before = cls._default_manager.count()
        response = client.post(admin_url(model, "add"), data)
        created = cls._default_manager.count() - before
        if response.status_code == 302 and created == 1:
            got = "ok"
        elif response.status_code == 200 and created == 0:
            errors = response.context["adminform"].form.errors
            got = "invalid" if errors else "200 without errors"
            if errors and expected(role, model, "add", scope) == "ok":
                got += f" {dict(errors)}"
        else:
            got = outcome_of_get(response.status_code)
        if model in VERTICAL_MODELS or scope == "own":
            check("add", scope, got)

        # change: post the form back with one field changed
        data = form_data(model, root, obj)
        field, value = CHANGED_FIELD[model]
        data[field] = value
        response = client.post(admin_url(model, "change", obj.pk), data)
        if response.status_code == 302:
            if model == "metricpolicy":  # a change saves a new version
                changed = MetricPolicy.objects.latest().note == value
            else:
                changed = getattr(cls._default_manager.get(pk=obj.pk), field) == value
            got = "ok" if changed else "302 without the change"
        elif response.status_code == 200:
            got = f"200 with errors {dict(response.context['adminform'].form.errors)}"
        else:
            got = outcome_of_get(response.status_code)
        check("change", scope, got)

        # delete: the confirmation page, then the delete itself
        got = outcome_of_get(client.get(admin_url(model, "delete", obj.pk)).status_code)
        response = client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
        gone = not cls._default_manager.filter(pk=obj.pk).exists()
        if got == "ok":
            protected = response.status_code == 200 and response.context.get("protected")
            if protected and model in HAS_HISTORY:
                got = "refused" if not gone else "refused but the object was deleted"
            elif not (response.status_code == 302 and gone) and not protected:
                got = f"delete page opened but POST gave {response.status_code}, gone={gone}"
        elif gone:
            got = f"{got} but the object was deleted"
        check("delete", scope, got)

    assert not problems, "\n".join(problems)


# --- the bulk "Delete selected" action ----------------------------------------------------

BULK_MODELS = ("account", "vertical", "app", "connector", "metricpolicy")


def bulk_delete_candidate(model: str, world: World):
    """An object of the actor's own vertical that nothing protects (the account has no history)."""
    if model == "account":
        return factories.AccountFactory(vertical=world.verticals["own"])
    if model == "vertical":
        return factories.vertical("agri_food")
    if model == "app":
        return App.objects.create(code="bulk_app", name="Bulk app", category="other")
    if model == "connector":
        return Connector.objects.create(code="bulk_connector", name="Bulk", system_kind="other")
    return MetricPolicy.objects.latest()


@pytest.mark.parametrize("model", BULK_MODELS)
@pytest.mark.parametrize("role", ROLES)
def test_bulk_delete_action(client, role, model):
    """The action is offered, and works, only where the role may delete; history stops it."""
    world = World()
    actor = actor_for(role)
    client.force_login(actor)
    obj = bulk_delete_candidate(model, world)
    may_delete = "delete" in GRANTS[role].get(model, frozenset())
    listing = client.get(admin_url(model, "changelist"))
    assert listing.status_code in (200, 403)
    offered = listing.status_code == 200 and "delete_selected" in listing.content.decode()
    assert offered == may_delete, f"{role} {model}: action offered={offered}"

    client.post(
        admin_url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [str(obj.pk)], "post": "yes"},
    )
    gone = not MODELS[model]._default_manager.filter(pk=obj.pk).exists()
    assert gone == may_delete, f"{role} {model}: deleted={gone}"

    if model == "account" and may_delete:
        # An account with visits (the world's) is refused, with the way out named.
        kept = world.data["own"].account
        response = client.post(
            admin_url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [str(kept.pk)], "post": "yes"},
        )
        assert Account.objects.filter(pk=kept.pk).exists()
        assert "churned" in response.content.decode()
