"""Frontline URLs: the admin, the COO's pages and the REST API."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from verticals.signin import views as signin_views
from verticals.views import set_language

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # Django's switcher (django.conf.urls.i18n), keeping a logged-in person's choice with them.
    path("i18n/setlang/", set_language, name="set_language"),
    # The admin's logout, also ending the provider's session after a single sign-on.
    path("admin/logout/", signin_views.logout),
    path("admin/", admin.site.urls),
    path("", include("verticals.signin.urls")),
    path("api/", include("config.api_urls")),
    path("", include("reports.urls")),
    path("", include("reports.plan_urls")),
]
