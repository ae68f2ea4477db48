"""What each role's permission group may do in the admin (used by the migration that makes the groups).

Scoping to a person's own verticals is applied on top of these by
`accounts.selectors`; these only say which kinds of objects a role may touch.
"""

from __future__ import annotations

ACCOUNT_MODELS = (
    "accounts.account",
    "accounts.contact",
    "accounts.accountteammember",
    "accounts.integrationproject",
)
VISIT_MODELS = ("visits.visit", "visits.requirement", "visits.actionitem")
CATALOG_MODELS = ("metrics.app", "metrics.connector", "verticals.vertical")


def _all(models):
    return {m: ("view", "add", "change", "delete") for m in models}


def _view(models):
    return {m: ("view",) for m in models}


# CSMs and leads do not delete accounts: an account is closed (stage "churned"), and
# only the COO may delete one that has no history (docs/security.md, "Who may delete what").
EDITOR = {
    **_all(ACCOUNT_MODELS),
    "accounts.account": ("view", "add", "change"),
    **_all(VISIT_MODELS),
    **_view(CATALOG_MODELS),
    "metrics.metricpolicy": ("view",),
}
# BD, SA and Tech read accounts and log visits with what the customer asked for.
CONTRIBUTOR = {
    **_view(ACCOUNT_MODELS),
    **{m: ("view", "add") for m in VISIT_MODELS},
    **_view(CATALOG_MODELS),
}

GROUP_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "CSM": EDITOR,
    "Lead": {**EDITOR, "verticals.membership": ("view",)},
    "BD": CONTRIBUTOR,
    "SA": CONTRIBUTOR,
    "Tech": CONTRIBUTOR,
    "COO": {
        **_all(ACCOUNT_MODELS),
        **_all(VISIT_MODELS),
        **_all(CATALOG_MODELS),
        "verticals.membership": ("view",),
        "metrics.metricpolicy": ("view", "add", "change"),
        "django_celery_beat.periodictask": ("view", "change"),
    },
    "API client": {},
}
