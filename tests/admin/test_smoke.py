"""Every admin page loads: changelist, add and change of every registered model, for a superuser
and for a CSM, with no server error (and 200 wherever the CSM's role allows the page)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def _pages():
    """(url, needed permission codename or None for superuser-only) of every admin page."""
    pages = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        pages.append((reverse(f"{name}_changelist"), model, "view"))
        pages.append((reverse(f"{name}_add"), model, "add"))
        if hasattr(model_admin, "import_action"):
            pages.append((reverse(f"{name}_import"), model, "import"))
            pages.append((reverse(f"{name}_export"), model, "view"))
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            pages.append((reverse(f"{name}_change", args=[obj.pk]), model, "view"))
            if hasattr(model, "history"):
                pages.append((reverse(f"{name}_history", args=[obj.pk]), model, "view"))
    return pages


@pytest.fixture
def everything(own, other, csm):
    from verticals.models import APIToken

    APIToken.objects.create(user=csm, prefix="abcd1234", key_hash="0" * 64)
    return own


def test_every_admin_page_loads_for_a_superuser(client, superuser, everything, rf):
    client.force_login(superuser)
    pages = _pages()
    assert len(pages) > 30
    request = rf.get("/admin/")
    request.user = superuser
    for url, model, perm in pages:
        response = client.get(url)
        # Only adding that the model itself forbids (API tokens come from a command) is refused.
        model_admin = admin.site._registry[model]
        allowed = perm != "add" or model_admin.has_add_permission(request)
        if perm == "import":
            allowed = model_admin.has_import_permission(request)
        assert response.status_code == (200 if allowed else 403), url
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:visits_visit_cadence")).status_code == 200


def test_every_admin_page_the_csm_may_open_loads_and_the_others_refuse(client, csm, everything):
    client.force_login(csm)
    opened = 0
    for url, model, perm in _pages():
        response = client.get(url)
        opts = model._meta
        if perm == "import":  # importing adds and changes rows
            perm = "change" if csm.has_perm(f"{opts.app_label}.add_{opts.model_name}") else "add"
        allowed = csm.has_perm(f"{opts.app_label}.{perm}_{opts.model_name}") or (
            perm == "view" and csm.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        )
        if "/change/" in url or "/history/" in url:
            obj_vertical_visible = response.status_code != 404
            if not obj_vertical_visible:
                continue
        expected = 200 if allowed else 403
        assert response.status_code == expected, (url, response.status_code)
        opened += response.status_code == 200
    assert opened > 15
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_index_shows_my_day_to_a_csm(client, csm, everything):
    client.force_login(csm)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="my-day"' in body
    assert 'id="my-open-requirements"' in body
    assert response.context["day"]["accounts"] == 1
    assert response.context["day"]["open_requirements"] == 1


def test_the_superuser_sees_the_people_admin_and_a_csm_does_not(client, csm, superuser, db):
    client.force_login(superuser)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200
    client.force_login(csm)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert "auth_user" not in client.get(reverse("admin:index")).content.decode()
    factories.UserFactory(username="someone")
